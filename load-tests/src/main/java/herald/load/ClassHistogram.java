package herald.load;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed {@code jcmd <pid> GC.class_histogram} (which runs a full GC first), and the difference
 * of two of them divided by a connection count: what one more connection costs, class by class.
 */
final class ClassHistogram {

  /** Instances and bytes of one class. */
  record Entry(String className, long instances, long bytes) {}

  private final Map<String, Entry> entries;

  private ClassHistogram(Map<String, Entry> entries) {
    this.entries = entries;
  }

  static ClassHistogram of(long pid) {
    return parse(NodeProbe.classHistogram(pid, Integer.MAX_VALUE));
  }

  static ClassHistogram parse(String jcmdOutput) {
    Map<String, Entry> entries = new HashMap<>();
    for (String line : jcmdOutput.split("\n")) {
      // " 12:   34567   1234560  java.lang.String (java.base@17.0.15)"
      String[] fields = line.trim().split("\\s+");
      if (fields.length < 4 || !fields[0].endsWith(":")) {
        continue;
      }
      try {
        entries.put(
            fields[3],
            new Entry(fields[3], Long.parseLong(fields[1]), Long.parseLong(fields[2])));
      } catch (NumberFormatException header) {
        // the column header line
      }
    }
    return new ClassHistogram(entries);
  }

  /**
   * The {@code lines} classes that grew most in bytes from {@code base} to this, per connection, as
   * a text table: bytes and instances per connection, then the class.
   */
  String perConnection(ClassHistogram base, long connections, int lines) {
    List<Entry> grown = new ArrayList<>();
    for (Entry now : entries.values()) {
      Entry before = base.entries.getOrDefault(now.className(), new Entry(now.className(), 0, 0));
      grown.add(
          new Entry(
              now.className(),
              now.instances() - before.instances(),
              now.bytes() - before.bytes()));
    }
    grown.sort((a, b) -> Long.compare(b.bytes(), a.bytes()));
    long total = grown.stream().mapToLong(Entry::bytes).sum();
    StringBuilder table =
        new StringBuilder(
            String.format(
                "per connection (%d connections): %.0f bytes in all%n%10s %9s  %s%n",
                connections, (double) total / connections, "bytes", "instances", "class"));
    for (Entry entry : grown.subList(0, Math.min(lines, grown.size()))) {
      table.append(
          String.format(
              "%10.1f %9.2f  %s%n",
              (double) entry.bytes() / connections,
              (double) entry.instances() / connections,
              entry.className()));
    }
    return table.toString();
  }
}
