package herald.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;

/**
 * Draws the fan-out result lines of one or more JSONL files as two PNG charts: latency (p50, p99,
 * p999, log scale) against deliveries per second, and the node's CPU per delivery against the same.
 * One series per percentile and (label, subscribers) group; every step is a point, the line goes
 * through the median of the steps at each rate. Lines of other scenarios are ignored; fan-out lines
 * without a needed field are skipped with a warning on stderr.
 *
 * <pre>
 * java -cp ... herald.load.LatencyChart out=&lt;file.png&gt; &lt;file.jsonl&gt;...
 *     [label=&lt;regex&gt;] [subs=&lt;n&gt;]
 * </pre>
 *
 * <p>The CPU chart goes next to {@code out}, with {@code -cpu} before {@code .png}.
 */
public final class LatencyChart {

  private static final String USAGE =
      "usage: LatencyChart out=<file.png> <file.jsonl>... [label=<regex>] [subs=<n>]";

  private static final List<Metric> LATENCY =
      List.of(
          new Metric("p50us", "p50", 0.001, SeriesStyle.DOTTED),
          new Metric("p99us", "p99", 0.001, SeriesStyle.SOLID),
          new Metric("p999us", "p999", 0.001, SeriesStyle.DASHED));

  private static final List<Metric> CPU =
      List.of(new Metric("nodeCpuUsPerDelivery", "CPU per delivery", 1, SeriesStyle.SOLID));

  private LatencyChart() {}

  public static void main(String[] args) throws IOException {
    // before any AWT class loads: no display here
    System.setProperty("java.awt.headless", "true");
    Options options;
    try {
      options = Options.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    List<Step> steps = select(options);
    if (steps.isEmpty()) {
      System.err.println("no fan-out lines to draw in " + options.files());
      System.exit(1);
    }
    String subtitle = subtitle(options, steps.size());
    SeriesChart latency =
        new SeriesChart(
            "Fan-out latency against delivered rate, one node, in-memory engine",
            "Latency, publisher to subscriber (ms, log scale)",
            true,
            10,
            "target p99 (10 ms)");
    SeriesChart cpu =
        new SeriesChart(
            "Node CPU per delivery against delivered rate, one node, in-memory engine",
            "Node CPU per delivery, user + system (µs)",
            false,
            3,
            "target (3 µs)");
    save(latency.draw(subtitle, groups(steps, LATENCY)), options.out());
    save(cpu.draw(subtitle, groups(steps, CPU)), options.cpuOut());
  }

  /** The fan-out lines of the files that pass the filters and have a group and a rate. */
  private static List<Step> select(Options options) throws IOException {
    List<Step> steps = new ArrayList<>();
    for (Path file : options.files()) {
      for (ResultLine line : ResultLine.read(file)) {
        if (!line.text("scenario").equals(Optional.of("fanout"))) {
          continue;
        }
        Optional<String> label = line.text("label");
        OptionalDouble subscribers = line.number("subscribers");
        OptionalDouble perSec = line.number("deliveredPerSec");
        if (label.isEmpty() || subscribers.isEmpty() || perSec.isEmpty()) {
          warn(line, "needs label, subscribers and deliveredPerSec");
          continue;
        }
        long subs = (long) subscribers.getAsDouble();
        boolean labelled = options.label().map(p -> p.matcher(label.get()).matches()).orElse(true);
        boolean sized = options.subs().isEmpty() || options.subs().getAsLong() == subs;
        if (labelled && sized) {
          steps.add(new Step(new Group(label.get(), subs), perSec.getAsDouble(), line));
        }
      }
    }
    return steps;
  }

  /** One series per group and metric, groups in label and size order, from the usable steps. */
  private static List<Series> groups(List<Step> steps, List<Metric> metrics) {
    List<Step> usable = steps.stream().filter(step -> hasAll(step, metrics)).toList();
    List<Group> groups = usable.stream().map(Step::group).distinct().sorted().toList();
    List<Series> series = new ArrayList<>();
    for (int g = 0; g < groups.size(); g++) {
      Group group = groups.get(g);
      for (Metric metric : metrics) {
        List<double[]> points = new ArrayList<>();
        for (Step step : usable) {
          if (step.group().equals(group)) {
            double y = step.line().number(metric.field()).getAsDouble() * metric.scale();
            points.add(new double[] {step.perSec(), y});
          }
        }
        String name = group.name() + (metrics.size() > 1 ? ", " + metric.name() : "");
        series.add(new Series(name, g, metric.style(), points));
      }
    }
    return series;
  }

  private static boolean hasAll(Step step, List<Metric> metrics) {
    List<String> missing =
        metrics.stream()
            .map(Metric::field)
            .filter(field -> step.line().number(field).isEmpty())
            .toList();
    if (!missing.isEmpty()) {
      warn(step.line(), "no " + String.join(", ", missing));
    }
    return missing.isEmpty();
  }

  private static String subtitle(Options options, int steps) {
    String files =
        options.files().stream()
            .map(file -> file.getFileName().toString())
            .collect(Collectors.joining(", "));
    String filters =
        options.label().map(p -> "; label = " + p.pattern()).orElse("")
            + (options.subs().isPresent() ? "; subscribers = " + options.subs().getAsLong() : "");
    return steps
        + " steps from "
        + files
        + filters
        + ". Each point is one step; lines join the median of the steps at each rate.";
  }

  private static void save(JFreeChart chart, Path out) throws IOException {
    Path parent = out.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    ChartUtils.saveChartAsPNG(out.toFile(), chart, 1200, 700);
    System.out.println("wrote " + out);
  }

  private static void warn(ResultLine line, String what) {
    System.err.println("skipped " + line.where() + ": " + what);
  }

  /** The command line: {@code out=}, {@code label=}, {@code subs=} and result files. */
  record Options(Path out, List<Path> files, Optional<Pattern> label, OptionalLong subs) {

    static Options parse(String[] args) {
      Path out = null;
      List<Path> files = new ArrayList<>();
      Optional<Pattern> label = Optional.empty();
      OptionalLong subs = OptionalLong.empty();
      for (String arg : args) {
        if (arg.startsWith("out=")) {
          out = Path.of(arg.substring(4));
        } else if (arg.startsWith("label=")) {
          label = Optional.of(Pattern.compile(arg.substring(6)));
        } else if (arg.startsWith("subs=")) {
          subs = OptionalLong.of(Long.parseLong(arg.substring(5)));
        } else if (Files.isRegularFile(Path.of(arg))) {
          files.add(Path.of(arg));
        } else {
          throw new IllegalArgumentException("no such file: " + arg);
        }
      }
      if (out == null || !out.toString().endsWith(".png")) {
        throw new IllegalArgumentException("out=<file.png> is needed");
      }
      if (files.isEmpty()) {
        throw new IllegalArgumentException("no result files given");
      }
      return new Options(out, files, label, subs);
    }

    /** {@code out} with {@code -cpu} before {@code .png}. */
    Path cpuOut() {
      String name = out.toString();
      return Path.of(name.substring(0, name.length() - ".png".length()) + "-cpu.png");
    }
  }

  /** The steps of one label at one number of subscribers. */
  record Group(String label, long subscribers) implements Comparable<Group> {

    String name() {
      return (label.isEmpty() ? "(no label)" : label)
          + String.format(", %,d subscribers", subscribers);
    }

    @Override
    public int compareTo(Group other) {
      return Comparator.comparing(Group::label)
          .thenComparingLong(Group::subscribers)
          .compare(this, other);
    }
  }

  /** One fan-out step of a group at its delivered rate. */
  record Step(Group group, double perSec, ResultLine line) {}

  /** A numeric field drawn as y, scaled to the axis unit, with its line style. */
  record Metric(String field, String name, double scale, SeriesStyle style) {}
}
