package herald.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a process's costs from {@code /proc}: CPU time (utime + stime of {@code /proc/<pid>/stat}),
 * resident memory ({@code VmRSS}), open files; and for a JVM, heap used after a full GC ({@code
 * jcmd <pid> GC.run} then {@code GC.heap_info}, with the jcmd of the JVM that runs it).
 */
final class NodeProbe {

  private static final long NANOS_PER_TICK = 10_000_000L; // CLK_TCK = 100 on Linux
  private static final Pattern USED = Pattern.compile("used (\\d+)([KMG])");

  private NodeProbe() {}

  /** CPU time the process has used, user plus system, in nanoseconds. */
  static long cpuNanos(long pid) {
    long[] cpu = userSystemNanos(pid);
    return cpu[0] + cpu[1];
  }

  /**
   * User and system CPU time in nanoseconds. On loopback, system time includes the kernel's TCP
   * path up to the receiving socket, which the sender's write pays.
   */
  static long[] userSystemNanos(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields[0] is field 3 (state); utime is field 14, stime field 15
      return new long[] {
        Long.parseLong(fields[11]) * NANOS_PER_TICK, Long.parseLong(fields[12]) * NANOS_PER_TICK
      };
    } catch (IOException e) {
      return new long[2];
    }
  }

  static long rssBytes(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException e) {
      // gone
    }
    return 0;
  }

  static long openFiles(long pid) {
    try (var files = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return files.count();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Heap used after a full GC, in bytes (-1 if jcmd fails). */
  static long heapAfterGc(long pid) {
    try {
      String jcmd = Path.of("/proc/" + pid + "/exe").toRealPath().resolveSibling("jcmd").toString();
      run(List.of(jcmd, Long.toString(pid), "GC.run"));
      String info = run(List.of(jcmd, Long.toString(pid), "GC.heap_info"));
      Matcher m = USED.matcher(info);
      if (!m.find()) {
        return -1;
      }
      long unit =
          switch (m.group(2)) {
            case "K" -> 1024L;
            case "M" -> 1024L * 1024;
            default -> 1024L * 1024 * 1024;
          };
      return Long.parseLong(m.group(1)) * unit;
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }

  /** The top of {@code jcmd <pid> GC.class_histogram}: where the heap goes, for a profile. */
  static String classHistogram(long pid, int lines) {
    try {
      String jcmd = Path.of("/proc/" + pid + "/exe").toRealPath().resolveSibling("jcmd").toString();
      String[] all = run(List.of(jcmd, Long.toString(pid), "GC.class_histogram")).split("\n");
      return String.join("\n", java.util.Arrays.copyOfRange(all, 0, Math.min(all.length, lines)));
    } catch (IOException | InterruptedException e) {
      return "class histogram failed: " + e;
    }
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes());
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
    }
    return out;
  }
}
