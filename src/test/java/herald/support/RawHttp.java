package herald.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * HTTP/1.1 written by hand on a plain socket, for requests no client library sends: a 64 KiB header
 * or request line. It writes the request as given, then reads until the server closes the
 * connection, keeping what arrived even if the close was a reset (a server that refuses a request
 * mid-way closes with the rest of it unread).
 */
public final class RawHttp {

  private static final int TIMEOUT_MILLIS = 10_000;

  private RawHttp() {}

  /**
   * A request head for {@code target} ({@code /path?query}) with {@code Host} and {@code
   * Connection: close}, followed by {@code extraHeaders} (each ending in CRLF) and the blank line.
   */
  public static String get(int port, String target, String extraHeaders) {
    return "GET "
        + target
        + " HTTP/1.1\r\n"
        + "Host: 127.0.0.1:"
        + port
        + "\r\n"
        + "Connection: close\r\n"
        + extraHeaders
        + "\r\n";
  }

  /** Sends {@code request} and reads the response until the server closes the connection. */
  public static Response exchange(int port, String request) throws IOException {
    ByteArrayOutputStream received = new ByteArrayOutputStream();
    boolean reset = false;
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(TIMEOUT_MILLIS);
      try {
        socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
      } catch (IOException refusedMidWay) {
        // The server may answer and close before it has read everything; read what it said.
      }
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[8192];
      try {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          received.write(buffer, 0, n);
        }
      } catch (SocketTimeoutException e) {
        throw new AssertionError(
            "the server neither answered nor closed within "
                + TIMEOUT_MILLIS
                + " ms; got: "
                + received.toString(StandardCharsets.ISO_8859_1),
            e);
      } catch (IOException e) {
        reset = true;
      }
    }
    return Response.parse(received.toString(StandardCharsets.ISO_8859_1), reset);
  }

  /**
   * The response as received.
   *
   * @param status the status code, or -1 when nothing (or no status line) arrived
   * @param head the status line and headers
   * @param body everything after the blank line, as sent (chunked bodies are not decoded)
   * @param reset whether the connection ended with a reset
   */
  public record Response(int status, String head, String body, boolean reset) {

    static Response parse(String raw, boolean reset) {
      int end = raw.indexOf("\r\n\r\n");
      String head = end < 0 ? raw : raw.substring(0, end);
      String body = end < 0 ? "" : raw.substring(end + 4);
      int status = -1;
      if (head.startsWith("HTTP/1.1 ") && head.length() >= 12) {
        status = Integer.parseInt(head.substring(9, 12));
      }
      return new Response(status, head, body, reset);
    }

    /** The first value of header {@code name}, or {@code null}. */
    public @Nullable String header(String name) {
      String prefix = name.toLowerCase(Locale.ROOT) + ":";
      for (String line : head.split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith(prefix)) {
          return line.substring(prefix.length()).strip();
        }
      }
      return null;
    }
  }
}
