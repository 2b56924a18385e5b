package herald.load;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Redis's own counters, read with {@code INFO} over a raw RESP socket (no client library, no
 * redis-cli): calls per command from {@code commandstats}, which counts the commands a Lua script
 * runs as well as the {@code EVALSHA} that runs it, and the server's CPU time from {@code cpu}.
 */
final class CrossNodeRedisStats {

  /** Calls per command (lower case, e.g. {@code evalsha}) and Redis's user+system CPU seconds. */
  record Snapshot(Map<String, Long> calls, double cpuSeconds) {

    /** Calls per command since {@code before}, without the INFO calls that took the snapshots. */
    Map<String, Long> callsSince(Snapshot before) {
      Map<String, Long> delta = new TreeMap<>();
      calls.forEach(
          (command, count) -> {
            long d = count - before.calls.getOrDefault(command, 0L);
            if (d > 0 && !command.equals("info")) {
              delta.put(command, d);
            }
          });
      return delta;
    }
  }

  private CrossNodeRedisStats() {}

  static Snapshot snapshot(String host, int port) throws IOException {
    String stats = info(host, port, "commandstats");
    String cpu = info(host, port, "cpu");
    Map<String, Long> calls = new TreeMap<>();
    for (String line : stats.split("\r\n")) {
      // cmdstat_evalsha:calls=123,usec=456,usec_per_call=3.71,rejected_calls=0,failed_calls=0
      if (line.startsWith("cmdstat_")) {
        String command = line.substring(8, line.indexOf(':'));
        int at = line.indexOf("calls=") + 6;
        int end = line.indexOf(',', at);
        calls.put(command, Long.parseLong(line.substring(at, end < 0 ? line.length() : end)));
      }
    }
    return new Snapshot(calls, field(cpu, "used_cpu_user:") + field(cpu, "used_cpu_sys:"));
  }

  private static double field(String info, String name) {
    int at = info.indexOf(name);
    if (at < 0) {
      return 0;
    }
    int end = info.indexOf("\r\n", at);
    return Double.parseDouble(info.substring(at + name.length(), end < 0 ? info.length() : end));
  }

  /** {@code INFO section}: one RESP array out, one bulk string back. */
  private static String info(String host, int port, String section) throws IOException {
    try (Socket socket = new Socket(host, port)) {
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("*2\r\n$4\r\nINFO\r\n$" + section.length() + "\r\n" + section + "\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      String header = line(in);
      if (!header.startsWith("$")) {
        throw new IOException("unexpected reply to INFO: " + header);
      }
      byte[] body = in.readNBytes(Integer.parseInt(header.substring(1)));
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int previous = -1;
    for (int b = in.read(); b >= 0; b = in.read()) {
      if (previous == '\r' && b == '\n') {
        byte[] all = bytes.toByteArray();
        return new String(all, 0, all.length - 1, StandardCharsets.US_ASCII);
      }
      bytes.write(b);
      previous = b;
    }
    throw new IOException("connection closed before a reply");
  }
}
