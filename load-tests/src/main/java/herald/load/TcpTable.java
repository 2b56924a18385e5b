package herald.load;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Counts the host's TCP connections from {@code /proc/net/tcp} and {@code /proc/net/tcp6} (a JVM
 * listening on every address accepts IPv4 clients on an IPv6 socket), e.g. how many clients a node
 * holds right before it is killed, whether they came directly or through a proxy.
 */
final class TcpTable {

  private static final String ESTABLISHED = "01";

  private TcpTable() {}

  /** Established connections whose local port is {@code port}: the server side of each. */
  static int establishedTo(int port) {
    String hexPort = String.format(":%04X", port);
    int count = 0;
    for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      List<String> lines;
      try {
        lines = Files.readAllLines(Path.of(file));
      } catch (NoSuchFileException e) {
        continue; // no IPv6 on this host
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
        // "  sl  local_address rem_address   st ...": fields 1, 2 and 3
        String[] fields = line.trim().split("\\s+");
        if (fields.length > 3 && fields[3].equals(ESTABLISHED) && fields[1].endsWith(hexPort)) {
          count++;
        }
      }
    }
    return count;
  }
}
