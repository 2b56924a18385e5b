package herald.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import herald.support.Frames;
import herald.support.HeraldIntegrationTest;
import herald.support.RawWebSocket;
import herald.support.RawWebSocket.Frame;
import herald.support.TestIds;
import herald.support.TestTokens;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * RFC 6455 to the letter, end to end over a raw socket: what the framing rules require of the
 * server (§5), how it fails a connection (§7.1.7, §8.1) and how it closes one (§5.5.1, §7.1.1). The
 * client here sends exactly the bytes each test gives, and reads the server's bytes to the end of
 * the TCP stream, so a reset in place of a close frame is seen as one.
 */
@HeraldIntegrationTest
class Rfc6455IntegrationTests {

  private static final int KIB = 1024;

  @LocalServerPort int port;

  // ------------------------------------------------------------------ §8.1 invalid UTF-8

  static Stream<Arguments> invalidUtf8() {
    return Stream.of(
        arguments("lone continuation byte", "80"),
        arguments("truncated sequence at the end", "e282"),
        arguments("byte 0xff", "ff"),
        arguments("UTF-8 encoded surrogate", "eda080"),
        arguments("overlong '/'", "c0af"),
        arguments("code point above U+10FFFF", "f4908080"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidUtf8")
  void textFrameWithInvalidUtf8FailsTheConnectionWith1007(String kind, String hex)
      throws IOException {
    try (RawWebSocket client = open()) {
      client.sendFrame(
          true,
          RawWebSocket.TEXT,
          concat("{\"id\":5,\"op\":\"ping\",\"x\":\"", HexFormat.of().parseHex(hex), "\"}"));

      RawWebSocket.Remainder rest = client.readToEnd();

      assertClosedGracefully(rest, 1007);
      assertThat(disconnectPush(rest)).contains("\"code\":1007").contains("\"reconnect\":false");
      assertThat(rest.frames()).noneMatch(frame -> frame.text().contains("\"id\":5"));
    }
  }

  @Test
  void invalidUtf8InALaterFragmentFailsTheConnectionWith1007() throws IOException {
    try (RawWebSocket client = open()) {
      client.sendFrame(false, RawWebSocket.TEXT, ascii("{\"id\":5,\"op\":\"ping\",\"x\":\""));
      client.sendFrame(false, RawWebSocket.CONTINUATION, HexFormat.of().parseHex("c3"));
      client.sendFrame(true, RawWebSocket.CONTINUATION, ascii("(\"}"));

      assertClosedGracefully(client.readToEnd(), 1007);
    }
  }

  @Test
  void characterSplitAcrossFragmentsIsValidUtf8() throws IOException {
    try (RawWebSocket client = open()) {
      String channel = TestIds.next("chat:rfc");
      byte[] text = Frames.publish(5, channel, "\u00e9\u20ac").getBytes(StandardCharsets.UTF_8);
      int split = indexOf(text, (byte) 0xe2) + 1; // inside the three bytes of the euro sign
      client.sendFrame(false, RawWebSocket.TEXT, slice(text, 0, split));
      client.sendFrame(true, RawWebSocket.CONTINUATION, slice(text, split, text.length));

      assertThat(client.readFrame().text()).startsWith("{\"id\":5,\"result\":{\"offset\":1");
    }
  }

  // ------------------------------------------------------------------ §5 framing → 1002

  static Stream<Arguments> framingViolations() {
    byte[] ping = ascii("{\"id\":1,\"op\":\"ping\"}");
    return Stream.of(
        arguments("unmasked text frame", frame(0x80 | RawWebSocket.TEXT, false, ping)),
        arguments("RSV1 set without an extension", frame(0xC0 | RawWebSocket.TEXT, true, ping)),
        arguments("RSV2 set", frame(0xA0 | RawWebSocket.TEXT, true, ping)),
        arguments("RSV3 set", frame(0x90 | RawWebSocket.TEXT, true, ping)),
        arguments("RSV1 on a ping", frame(0xC0 | RawWebSocket.PING, true, new byte[0])),
        arguments("reserved data opcode 0x3", frame(0x83, true, ping)),
        arguments("reserved data opcode 0x7", frame(0x87, true, ping)),
        arguments("reserved control opcode 0xB", frame(0x8B, true, new byte[0])),
        arguments("reserved control opcode 0xF", frame(0x8F, true, new byte[0])),
        arguments("ping of 126 bytes", frame(0x80 | RawWebSocket.PING, true, new byte[126])),
        arguments("close of 126 bytes", frame(0x80 | RawWebSocket.CLOSE, true, closePayload(126))),
        arguments("fragmented ping", frame(RawWebSocket.PING, true, new byte[] {1})),
        arguments("fragmented close", frame(RawWebSocket.CLOSE, true, closePayload(2))),
        arguments("close with a one-byte payload", frame(0x88, true, new byte[] {3})),
        arguments(
            "continuation without a first fragment",
            frame(0x80 | RawWebSocket.CONTINUATION, true, ping)),
        arguments(
            "new text frame inside a fragmented message",
            concat(
                frame(RawWebSocket.TEXT, true, ascii("{\"id\":1,")),
                frame(0x80 | RawWebSocket.TEXT, true, ping))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("framingViolations")
  void framingViolationFailsTheConnectionWith1002(String kind, byte[] bytes) throws IOException {
    try (RawWebSocket client = open()) {
      client.sendBytes(bytes);

      RawWebSocket.Remainder rest = client.readToEnd();

      assertThat(rest.closeCode()).as("frames %s", rest.frames()).isEqualTo(1002);
      assertThat(rest.frames())
          .as("no reply to the bad frame, at most a disconnect push before the close")
          .hasSizeLessThanOrEqualTo(2)
          .noneMatch(frame -> frame.text().contains("\"result\""));
    }
  }

  static Stream<Arguments> invalidCloseFrames() {
    return Stream.of(
        arguments("code 1005 (reserved)", new byte[] {3, (byte) 237}),
        arguments("code 999", new byte[] {3, (byte) 231}),
        arguments("a reason that is not UTF-8", new byte[] {3, (byte) 232, (byte) 0xff}));
  }

  /**
   * Netty's decoder takes a close frame as the end of the closing handshake even when its body is
   * invalid: it answers with no close frame of its own and closes the TCP connection (RFC 6455
   * §7.1.7 makes the close frame a SHOULD when failing a connection).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidCloseFrames")
  void closeFrameWithAnInvalidBodyEndsTheConnection(String kind, byte[] payload)
      throws IOException {
    try (RawWebSocket client = open()) {
      client.sendFrame(true, RawWebSocket.CLOSE, payload);

      RawWebSocket.Remainder rest = client.readToEnd();

      assertThat(rest.frames()).isEmpty();
    }
  }

  // ------------------------------------------------------------------ §5.4 fragmentation

  @Test
  void fragmentedTextMessageIsReassembledWithControlFramesBetweenItsFragments() throws IOException {
    try (RawWebSocket client = open()) {
      client.sendFrame(false, RawWebSocket.TEXT, ascii("{\"id\":7,"));
      client.sendFrame(true, RawWebSocket.PING, ascii("between"));
      client.sendFrame(false, RawWebSocket.CONTINUATION, ascii("\"op\":"));
      client.sendFrame(false, RawWebSocket.CONTINUATION, new byte[0]);
      client.sendFrame(true, RawWebSocket.CONTINUATION, ascii("\"ping\"}"));

      Frame pong = client.readFrame();
      assertThat(pong.opcode()).isEqualTo(RawWebSocket.PONG);
      assertThat(pong.text()).isEqualTo("between");
      assertThat(client.readFrame().text()).isEqualTo("{\"id\":7,\"result\":{}}");
    }
  }

  @Test
  void fragmentsAddingUpToOneByteOverTheLimitFailTheConnectionWith1009() throws IOException {
    try (RawWebSocket client = open()) {
      // JSON allows any run of blanks before the closing brace: exactly 64 KiB with "}".
      String start = "{\"id\":5,\"op\":\"ping\"";
      byte[] blanks = ascii(" ".repeat(64 * KIB - start.length() - 1));
      client.sendFrame(false, RawWebSocket.TEXT, ascii(start));
      client.sendFrame(false, RawWebSocket.CONTINUATION, blanks);
      client.sendFrame(true, RawWebSocket.CONTINUATION, ascii(" }"));

      assertClosedGracefully(client.readToEnd(), 1009);
    }
  }

  @Test
  void fragmentsAddingUpToExactlyTheLimitAreOneMessage() throws IOException {
    try (RawWebSocket client = open()) {
      // JSON allows any run of blanks before the closing brace: exactly 64 KiB with "}".
      String start = "{\"id\":5,\"op\":\"ping\"";
      byte[] blanks = ascii(" ".repeat(64 * KIB - start.length() - 1));
      client.sendFrame(false, RawWebSocket.TEXT, ascii(start));
      client.sendFrame(false, RawWebSocket.CONTINUATION, blanks);
      client.sendFrame(true, RawWebSocket.CONTINUATION, ascii("}"));

      assertThat(client.readFrame().text()).isEqualTo("{\"id\":5,\"result\":{}}");
    }
  }

  // ------------------------------------------------------------------ §5.5 control frames

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 1, 125})
  void pingIsAnsweredWithAPongCarryingTheSamePayload(int size) throws IOException {
    try (RawWebSocket client = open()) {
      byte[] payload = new byte[size];
      for (int i = 0; i < size; i++) {
        payload[i] = (byte) (i * 7 + 1);
      }
      client.sendFrame(true, RawWebSocket.PING, payload);

      Frame pong = client.readFrame();

      assertThat(pong.opcode()).isEqualTo(RawWebSocket.PONG);
      assertThat(pong.fin()).isTrue();
      assertThat(pong.payload()).isEqualTo(payload);
    }
  }

  @Test
  void unsolicitedPongIsIgnored() throws IOException {
    try (RawWebSocket client = open()) {
      client.sendFrame(true, RawWebSocket.PONG, ascii("unsolicited"));
      client.sendText(Frames.ping(3));

      assertThat(client.readFrame().text()).isEqualTo("{\"id\":3,\"result\":{}}");
    }
  }

  // ------------------------------------------------------------------ §5.5.1, §7 closing

  @ParameterizedTest(name = "code {0}")
  @ValueSource(ints = {1000, 1001, 3000, 4999})
  void closeFromTheClientIsEchoedWithItsCodeAndTheServerClosesTcp(int code) throws IOException {
    try (RawWebSocket client = open()) {
      client.sendText(Frames.ping(1));
      assertThat(client.readFrame().text()).isEqualTo("{\"id\":1,\"result\":{}}");

      client.sendClose(code, "bye");
      RawWebSocket.Remainder rest = client.readToEnd();

      assertClosedGracefully(rest, code);
    }
  }

  @Test
  void closeWithoutACodeIsAnsweredWithoutACode() throws IOException {
    try (RawWebSocket client = open()) {
      client.sendFrame(true, RawWebSocket.CLOSE, new byte[0]);

      RawWebSocket.Remainder rest = client.readToEnd();

      assertThat(rest.frames()).hasSize(1);
      assertThat(rest.frames().get(0).opcode()).isEqualTo(RawWebSocket.CLOSE);
      assertThat(rest.frames().get(0).payload()).isEmpty();
    }
  }

  /**
   * A client that floods is closed with 4029; it keeps sending after that, yet it reads the
   * disconnect push and the close frame, then the end of the stream: no reset that would drop them.
   */
  @Test
  void floodingClientReadsTheCloseFrameWith4029ThenTheEndOfTheStream() throws Exception {
    try (RawWebSocket client = open()) {
      AtomicInteger sent = new AtomicInteger();
      Thread flood =
          new Thread(
              () -> {
                byte[] batch = pings(200);
                try {
                  for (int i = 0; i < 50; i++) { // 10,000 frames at most
                    client.sendBytes(batch);
                    sent.addAndGet(200);
                  }
                } catch (IOException closedByTheServer) {
                  // expected once the server has closed
                }
              },
              "flood");
      flood.setDaemon(true);
      flood.start();

      RawWebSocket.Remainder rest = client.readToEnd();
      flood.join(10_000);

      assertClosedGracefully(rest, 4029);
      assertThat(disconnectPush(rest)).contains("\"code\":4029");
      assertThat(sent.get()).as("frames sent").isGreaterThan(200);
    }
  }

  /**
   * After its close frame the server reads on (and discards) until the client answers with its own
   * close frame, then closes the TCP connection at once.
   */
  @Test
  void clientThatAnswersTheCloseFrameIsDisconnectedAtOnce() throws IOException {
    try (RawWebSocket client = open()) {
      client.sendBytes(pings(2000)); // 100 served, then 100 refused in a row: 4029
      assertClosedGracefully(client.readToEnd(), 4029);
      long answered = System.nanoTime();
      client.sendClose(4029, "");

      Duration open = untilTheServerClosed(client);

      assertThat(open).isLessThan(HeraldWebSocketHandler.CLOSE_HANDSHAKE_TIMEOUT.dividedBy(2));
      assertThat(Duration.ofNanos(System.nanoTime() - answered)).isLessThan(Duration.ofSeconds(5));
    }
  }

  /** A client that never answers the close frame is disconnected after the timeout, not before. */
  @Test
  void clientThatNeverAnswersTheCloseFrameIsDisconnectedAfterTheTimeout() throws IOException {
    try (RawWebSocket client = open()) {
      client.sendBytes(pings(2000));
      assertClosedGracefully(client.readToEnd(), 4029);

      Duration open = untilTheServerClosed(client);

      Duration timeout = HeraldWebSocketHandler.CLOSE_HANDSHAKE_TIMEOUT;
      assertThat(open).isGreaterThan(timeout.minusSeconds(2)).isLessThan(timeout.plusSeconds(5));
    }
  }

  // ------------------------------------------------------------------ helpers

  private RawWebSocket open() throws IOException {
    return RawWebSocket.open(
        port, TestTokens.user(TestIds.next("rfc")).subscribe("*").publish("*").token(), 64 * KIB);
  }

  /**
   * How long the server still reads what this client sends: it writes a small frame every 50 ms
   * until a write fails, which happens once the server's side is closed (its kernel answers with a
   * reset).
   */
  private static Duration untilTheServerClosed(RawWebSocket client) throws IOException {
    long started = System.nanoTime();
    byte[] probe = frame(0x80 | RawWebSocket.PONG, true, new byte[0]);
    try {
      while (System.nanoTime() - started < Duration.ofSeconds(15).toNanos()) {
        client.sendBytes(probe);
        Thread.sleep(50);
      }
    } catch (IOException closed) {
      return Duration.ofNanos(System.nanoTime() - started);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    throw new AssertionError("the server still reads after 15 s");
  }

  private static void assertClosedGracefully(RawWebSocket.Remainder rest, int code) {
    assertThat(rest.closeCode()).as("frames %s", rest.frames()).isEqualTo(code);
    assertThat(rest.reset()).as("the server reset the connection").isFalse();
  }

  private static String disconnectPush(RawWebSocket.Remainder rest) {
    List<Frame> frames = rest.frames();
    assertThat(frames).as("a disconnect push before the close frame").hasSizeGreaterThan(1);
    String push = frames.get(frames.size() - 2).text();
    assertThat(push).contains("\"type\":\"disconnect\"");
    return push;
  }

  private static byte[] pings(int count) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int i = 1; i <= count; i++) {
      bytes.writeBytes(frame(0x80 | RawWebSocket.TEXT, true, ascii(Frames.ping(i))));
    }
    return bytes.toByteArray();
  }

  private static byte[] frame(int firstByte, boolean masked, byte[] payload) {
    return RawWebSocket.frame(firstByte, masked, payload);
  }

  private static byte[] closePayload(int size) {
    byte[] payload = new byte[size];
    payload[0] = 3;
    payload[1] = (byte) 232;
    for (int i = 2; i < size; i++) {
      payload[i] = 'a';
    }
    return payload;
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] concat(String before, byte[] middle, String after) {
    return concat(ascii(before), middle, ascii(after));
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      bytes.writeBytes(part);
    }
    return bytes.toByteArray();
  }

  private static byte[] slice(byte[] bytes, int from, int to) {
    return Arrays.copyOfRange(bytes, from, to);
  }

  private static int indexOf(byte[] bytes, byte value) {
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] == value) {
        return i;
      }
    }
    throw new IllegalArgumentException("not found");
  }
}
