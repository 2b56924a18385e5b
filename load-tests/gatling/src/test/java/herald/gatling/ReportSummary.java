package herald.gatling;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Prints one JSON line per request of a Gatling HTML report: count, failures, throughput and the
 * response-time percentiles. Gatling 3.15 no longer writes {@code js/stats.json}; its statistics
 * live only in the table of {@code index.html}, and this reads them from there so that results can
 * be pasted into a README or compared by a script. Uses only the JDK, so it runs as a single file:
 *
 * <pre>java load-tests/gatling/src/test/java/herald/gatling/ReportSummary.java REPORT_DIR</pre>
 */
public final class ReportSummary {

  private static final Pattern ROW =
      Pattern.compile(
          "<tr id=\"([^\"]+)\"[^>]*>.*?class=\"ellipsed-name\">([^<]*)</span>(.*?)</tr>",
          Pattern.DOTALL);
  private static final Pattern CELL =
      Pattern.compile("<td class=\"value [a-z]+ col-(\\d+)\">([^<]*)</td>");

  /** Columns of the statistics table, from col-2 on, under the names this summary prints. */
  private static final String[] COLUMNS = {
    "count",
    "ok",
    "ko",
    "koPercent",
    "perSecond",
    "minMs",
    "p50Ms",
    "p75Ms",
    "p95Ms",
    "p99Ms",
    "maxMs",
    "meanMs",
    "stdDevMs"
  };

  private ReportSummary() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: ReportSummary REPORT_DIR (target/gatling/<simulation>-<time>)");
      System.exit(2);
    }
    String html = Files.readString(Path.of(args[0], "index.html"));
    for (String line : summarize(html)) {
      System.out.println(line);
    }
  }

  static List<String> summarize(String html) {
    List<String> lines = new ArrayList<>();
    Matcher row = ROW.matcher(html);
    while (row.find()) {
      StringBuilder json = new StringBuilder("{\"request\":\"").append(row.group(2)).append('"');
      Matcher cell = CELL.matcher(row.group(3));
      while (cell.find()) {
        int column = Integer.parseInt(cell.group(1)) - 2;
        if (column >= 0 && column < COLUMNS.length) {
          String value = cell.group(2).replace(",", "").trim();
          json.append(",\"").append(COLUMNS[column]).append("\":").append(numberOrNull(value));
        }
      }
      lines.add(json.append('}').toString());
    }
    return lines;
  }

  private static String numberOrNull(String value) {
    return value.matches("-?\\d+(\\.\\d+)?") ? value : "null";
  }
}
