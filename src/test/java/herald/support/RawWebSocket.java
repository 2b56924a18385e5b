package herald.support;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;
import org.jspecify.annotations.Nullable;

/**
 * A WebSocket client written by hand on a plain {@link Socket}, for what a well-behaved client
 * library will not do: stop reading from TCP altogether (a slow consumer whose kernel buffers fill
 * for real), or send frames the protocol forbids (fragments past the size limit, raw opcodes).
 *
 * <p>It reads only when the test asks it to, on the test thread, with a socket timeout, so nothing
 * here runs on an event loop and every read ends.
 *
 * <pre>{@code
 * try (RawWebSocket socket = RawWebSocket.open(port, token, 16 * 1024)) {
 *   socket.sendText(Frames.subscribe(1, "document:42"));
 *   assertThat(socket.readFrame().text()).contains("\"result\"");
 *   // ... and never read again
 * }
 * }</pre>
 */
public final class RawWebSocket implements AutoCloseable {

  /** Text frame opcode. */
  public static final int TEXT = 0x1;

  /** Binary frame opcode. */
  public static final int BINARY = 0x2;

  /** Continuation frame opcode. */
  public static final int CONTINUATION = 0x0;

  /** Close frame opcode. */
  public static final int CLOSE = 0x8;

  /** Ping frame opcode. */
  public static final int PING = 0x9;

  /** Pong frame opcode. */
  public static final int PONG = 0xA;

  /** The FIN bit of a frame's first byte. */
  public static final int FIN = 0x80;

  /** The RSV1 bit of a frame's first byte (set on compressed messages by permessage-deflate). */
  public static final int RSV1 = 0x40;

  private static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
  private static final byte[] MASK = {0x37, (byte) 0xfa, 0x21, 0x3d};

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final String handshakeResponse;
  private final Inflater inflater = new Inflater(true);

  private RawWebSocket(Socket socket, String handshakeResponse) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.handshakeResponse = handshakeResponse;
  }

  /**
   * Connects to {@code ws://127.0.0.1:<port>/ws} with {@code herald.json} and the token as {@code
   * Authorization: Bearer}, and reads the handshake response; fails unless it is {@code 101}.
   *
   * @param receiveBuffer the socket's receive buffer ({@code SO_RCVBUF}), set before connecting so
   *     that the TCP window stays that small
   */
  public static RawWebSocket open(int port, String token, int receiveBuffer) throws IOException {
    return open(port, token, receiveBuffer, "");
  }

  /**
   * As {@link #open(int, String, int)}, with {@code extraHeaders} (each ending in CRLF) added to
   * the handshake request, for example {@code Sec-WebSocket-Extensions}.
   */
  public static RawWebSocket open(int port, String token, int receiveBuffer, String extraHeaders)
      throws IOException {
    Socket socket = new Socket();
    try {
      socket.setReceiveBufferSize(receiveBuffer);
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout((int) READ_TIMEOUT.toMillis());
      String request =
          "GET /ws HTTP/1.1\r\n"
              + "Host: 127.0.0.1:"
              + port
              + "\r\n"
              + "Upgrade: websocket\r\n"
              + "Connection: Upgrade\r\n"
              + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              + "Sec-WebSocket-Version: 13\r\n"
              + "Sec-WebSocket-Protocol: herald.json\r\n"
              + "Authorization: Bearer "
              + token
              + "\r\n"
              + extraHeaders
              + "\r\n";
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
      String response = readHead(socket.getInputStream());
      if (!response.startsWith("HTTP/1.1 101")) {
        throw new AssertionError("handshake refused: " + response);
      }
      return new RawWebSocket(socket, response);
    } catch (IOException | RuntimeException | Error e) {
      socket.close();
      throw e;
    }
  }

  /** The handshake response's status line and headers. */
  public String handshakeResponse() {
    return handshakeResponse;
  }

  /** Reads an HTTP head, up to and including the blank line, byte by byte. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < end.length) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed during the handshake: " + head);
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  // ---------------------------------------------------------------- sending

  /** Sends one complete, masked text frame. */
  public RawWebSocket sendText(String text) throws IOException {
    return sendFrame(true, TEXT, text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Sends one masked frame as given: {@code fin} and {@code opcode} are not checked, so fragments
   * and forbidden opcodes go out as they are.
   */
  public RawWebSocket sendFrame(boolean fin, int opcode, byte[] payload) throws IOException {
    return sendRaw((fin ? FIN : 0) | (opcode & 0x0f), true, payload);
  }

  /**
   * Sends one frame exactly as given: {@code firstByte} holds FIN, the RSV bits and the opcode, and
   * {@code masked} false sends the payload unmasked, which clients must never do.
   */
  public RawWebSocket sendRaw(int firstByte, boolean masked, byte[] payload) throws IOException {
    out.write(frame(firstByte, masked, payload));
    out.flush();
    return this;
  }

  /** One frame's bytes as a client sends them, for tests that write many at once. */
  public static byte[] frame(int firstByte, boolean masked, byte[] payload) {
    ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
    frame.write(firstByte);
    int maskBit = masked ? 0x80 : 0;
    int length = payload.length;
    if (length < 126) {
      frame.write(maskBit | length);
    } else if (length < 65536) {
      frame.write(maskBit | 126);
      frame.write(length >>> 8);
      frame.write(length & 0xff);
    } else {
      frame.write(maskBit | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) (((long) length >>> shift) & 0xff));
      }
    }
    if (!masked) {
      frame.write(payload, 0, length);
      return frame.toByteArray();
    }
    frame.write(MASK, 0, MASK.length);
    for (int i = 0; i < length; i++) {
      frame.write(payload[i] ^ MASK[i % 4]);
    }
    return frame.toByteArray();
  }

  /** Sends a close frame with {@code code} and {@code reason}. */
  public RawWebSocket sendClose(int code, String reason) throws IOException {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    byte[] payload = new byte[2 + text.length];
    payload[0] = (byte) (code >>> 8);
    payload[1] = (byte) code;
    System.arraycopy(text, 0, payload, 2, text.length);
    return sendFrame(true, CLOSE, payload);
  }

  /**
   * A message compressed as permessage-deflate sends it (RFC 7692 §7.2.1): raw deflate, flushed,
   * without the final {@code 00 00 ff ff}. Each call starts a new deflate stream, which a server
   * inflating with context takeover reads as well.
   */
  public static byte[] deflate(byte[] message) {
    Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
    try {
      deflater.setInput(message);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      byte[] buffer = new byte[64 * 1024];
      int n;
      do {
        n = deflater.deflate(buffer, 0, buffer.length, Deflater.SYNC_FLUSH);
        out.write(buffer, 0, n);
      } while (n == buffer.length || !deflater.needsInput());
      byte[] bytes = out.toByteArray();
      return Arrays.copyOf(bytes, bytes.length - 4); // the flush's empty block: 00 00 ff ff
    } finally {
      deflater.end();
    }
  }

  /**
   * The text of a message from the server, inflated if it came compressed (RSV1), with the
   * connection's one inflater (the server keeps its compression context between messages).
   */
  public String inflatedText(Frame frame) {
    if ((frame.rsv() & RSV1) == 0) {
      return frame.text();
    }
    byte[] input = Arrays.copyOf(frame.payload(), frame.payload().length + 4);
    input[input.length - 2] = (byte) 0xff;
    input[input.length - 1] = (byte) 0xff;
    inflater.setInput(input);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[16 * 1024];
    try {
      while (!inflater.needsInput()) {
        int n = inflater.inflate(buffer);
        out.write(buffer, 0, n);
      }
    } catch (DataFormatException e) {
      throw new AssertionError("the server sent deflate data that does not inflate", e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Writes bytes as they are, for example many frames made by {@link #frame} at once. */
  public RawWebSocket sendBytes(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
    return this;
  }

  // ---------------------------------------------------------------- receiving

  /** Reads the next frame the server sent, waiting up to the socket timeout. */
  public Frame readFrame() throws IOException {
    int first = readByte();
    int second = readByte();
    long length = second & 0x7f;
    if (length == 126) {
      length = ((long) readByte() << 8) | readByte();
    } else if (length == 127) {
      length = 0;
      for (int i = 0; i < 8; i++) {
        length = (length << 8) | readByte();
      }
    }
    if ((second & 0x80) != 0) {
      throw new AssertionError("the server masked a frame");
    }
    if (length > 16 * 1024 * 1024) {
      throw new AssertionError("implausible frame length " + length);
    }
    byte[] payload = in.readNBytes((int) length);
    if (payload.length < length) {
      throw new EOFException("connection closed inside a frame");
    }
    return new Frame((first & 0x80) != 0, first & 0x70, first & 0x0f, payload);
  }

  private int readByte() throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException("connection closed");
    }
    return b;
  }

  /**
   * Reads whatever the server still sends until it closes the TCP connection: the frames it had
   * buffered, then perhaps a close frame. Fails if the connection is still open after {@code
   * timeout} of silence.
   */
  public Remainder readToEnd() throws IOException {
    List<Frame> frames = new ArrayList<>();
    try {
      while (true) {
        frames.add(readFrame());
      }
    } catch (EOFException e) {
      return new Remainder(frames, false);
    } catch (SocketTimeoutException e) {
      throw new AssertionError(
          "the server kept the connection open, silent for " + READ_TIMEOUT, e);
    } catch (IOException e) {
      String message = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
      if (message.contains("reset")) {
        return new Remainder(frames, true);
      }
      throw e;
    }
  }

  /** Closes the socket without a close frame, as a crashed client would. */
  @Override
  public void close() throws IOException {
    inflater.end();
    socket.close();
  }

  /**
   * One frame from the server.
   *
   * @param fin whether it is the final fragment
   * @param rsv its RSV bits as they stand in the first byte ({@link #RSV1}: compressed)
   * @param opcode its opcode
   * @param payload its payload, unmasked
   */
  public record Frame(boolean fin, int rsv, int opcode, byte[] payload) {

    /** The payload as UTF-8 text. */
    public String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    /** The reason of a close frame (empty if it has none). */
    public String closeReason() {
      return payload.length <= 2
          ? ""
          : new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8);
    }

    /** The status code of a close frame, or {@code null} if this is not one or it has none. */
    public @Nullable Integer closeCode() {
      if (opcode != CLOSE || payload.length < 2) {
        return null;
      }
      return ((payload[0] & 0xff) << 8) | (payload[1] & 0xff);
    }

    @Override
    public String toString() {
      return "Frame[opcode="
          + opcode
          + ", "
          + payload.length
          + " bytes"
          + (opcode == CLOSE ? ", code " + closeCode() + " " + closeReason() : "")
          + "]";
    }
  }

  /**
   * What the server sent before the connection ended.
   *
   * @param frames the frames, in order (a close frame, if any, is last)
   * @param reset whether the connection ended with a reset rather than an orderly FIN
   */
  public record Remainder(List<Frame> frames, boolean reset) {

    /** The close frame's status code, or {@code null} when the server closed without one. */
    public @Nullable Integer closeCode() {
      return frames.isEmpty() ? null : frames.get(frames.size() - 1).closeCode();
    }

    /** How many frames of {@code opcode} arrived. */
    public long count(int opcode) {
      return frames.stream().filter(frame -> frame.opcode() == opcode).count();
    }
  }
}
