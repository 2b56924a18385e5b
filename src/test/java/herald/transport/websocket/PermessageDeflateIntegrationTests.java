package herald.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.Frames;
import herald.support.RawWebSocket;
import herald.support.RawWebSocket.Frame;
import herald.support.TestIds;
import herald.support.TestTokens;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * {@code herald.websocket.permessage-deflate=true} (RFC 7692) over a raw socket: negotiation,
 * compressed requests and replies, and the size limit applied to the inflated message, so that a
 * decompression bomb closes with 1009 after inflating no more than the limit.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "herald.api.key=" + TestTokens.API_KEY,
      "herald.namespaces.chat.client-publish=true",
      "herald.websocket.permessage-deflate=true"
    })
class PermessageDeflateIntegrationTests {

  private static final int KIB = 1024;
  private static final int MIB = 1024 * KIB;
  private static final String OFFER = "Sec-WebSocket-Extensions: permessage-deflate\r\n";

  @LocalServerPort int port;

  @Test
  void offerIsAcceptedAndRepliesComeCompressed() throws IOException {
    try (RawWebSocket client = open(OFFER)) {
      assertThat(client.handshakeResponse().toLowerCase())
          .contains("sec-websocket-extensions: permessage-deflate");

      client.sendRaw(compressedText(), true, RawWebSocket.deflate(ascii(Frames.ping(1))));
      client.sendText(Frames.ping(2)); // uncompressed messages stay allowed

      Frame first = client.readFrame();
      Frame second = client.readFrame();
      assertThat(first.rsv()).isEqualTo(RawWebSocket.RSV1);
      assertThat(client.inflatedText(first)).isEqualTo("{\"id\":1,\"result\":{}}");
      assertThat(client.inflatedText(second)).isEqualTo("{\"id\":2,\"result\":{}}");
    }
  }

  @Test
  void withoutAnOfferNothingIsCompressed() throws IOException {
    try (RawWebSocket client = open("")) {
      assertThat(client.handshakeResponse().toLowerCase())
          .doesNotContain("sec-websocket-extensions");

      client.sendText(Frames.ping(1));

      Frame reply = client.readFrame();
      assertThat(reply.rsv()).isZero();
      assertThat(reply.text()).isEqualTo("{\"id\":1,\"result\":{}}");
    }
  }

  @Test
  void theOlderDeflateFrameDraftIsNotNegotiated() throws IOException {
    try (RawWebSocket client = open("Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n")) {
      assertThat(client.handshakeResponse().toLowerCase()).doesNotContain("deflate");
    }
  }

  @Test
  void messageThatInflatesToTheLimitIsServed() throws IOException {
    try (RawWebSocket client = open(OFFER)) {
      byte[] message = pingPaddedTo(64 * KIB);

      client.sendRaw(compressedText(), true, RawWebSocket.deflate(message));

      assertThat(client.inflatedText(client.readFrame())).isEqualTo("{\"id\":5,\"result\":{}}");
    }
  }

  @Test
  void messageThatInflatesOneByteOverTheLimitClosesWith1009() throws IOException {
    try (RawWebSocket client = open(OFFER)) {
      client.sendRaw(compressedText(), true, RawWebSocket.deflate(pingPaddedTo(64 * KIB + 1)));

      RawWebSocket.Remainder rest = client.readToEnd();

      assertThat(rest.closeCode()).as("frames %s", rest.frames()).isEqualTo(1009);
      assertThat(rest.reset()).isFalse();
    }
  }

  /**
   * 32 MiB of JSON blanks deflate to about 32 KiB, one frame under the 64 KiB frame limit. The
   * server must stop inflating at the 64 KiB message limit: the whole node allocates far less than
   * the 32 MiB the bomb holds (without the limit it allocated more than that, and served the ping).
   */
  @Test
  void decompressionBombClosesWith1009WithoutBeingInflated() throws IOException {
    byte[] bomb = RawWebSocket.deflate(pingPaddedTo(32 * MIB));
    assertThat(bomb.length).isLessThan(64 * KIB);
    try (RawWebSocket client = open(OFFER)) {
      long allocatedBefore = allocatedByAllThreads();

      client.sendRaw(compressedText(), true, bomb);
      RawWebSocket.Remainder rest = client.readToEnd();

      long allocated = allocatedByAllThreads() - allocatedBefore;
      assertThat(rest.closeCode()).as("frames %s", rest.frames()).isEqualTo(1009);
      assertThat(allocated).as("bytes allocated by the node meanwhile").isLessThan(8L * MIB);
    }
  }

  @Test
  void fragmentsThatInflatePastTheLimitTogetherCloseWith1009() throws IOException {
    try (RawWebSocket client = open(OFFER)) {
      // One compressed message of 80 KiB in three frames: RSV1 on the first only (RFC 7692 §6.1).
      byte[] deflated = RawWebSocket.deflate(pingPaddedTo(80 * KIB));
      int third = deflated.length / 3;
      client.sendRaw(RawWebSocket.RSV1 | RawWebSocket.TEXT, true, Arrays.copyOf(deflated, third));
      client.sendRaw(
          RawWebSocket.CONTINUATION, true, Arrays.copyOfRange(deflated, third, 2 * third));
      client.sendRaw(
          RawWebSocket.FIN | RawWebSocket.CONTINUATION,
          true,
          Arrays.copyOfRange(deflated, 2 * third, deflated.length));

      RawWebSocket.Remainder rest = client.readToEnd();

      assertThat(rest.closeCode()).as("frames %s", rest.frames()).isEqualTo(1009);
    }
  }

  @Test
  void compressedDataThatDoesNotInflateClosesWith1007() throws IOException {
    try (RawWebSocket client = open(OFFER)) {
      // Block type 3 is reserved in deflate (RFC 1951 §3.2.3).
      client.sendRaw(compressedText(), true, new byte[] {(byte) 0xff, (byte) 0xff, 0x00});

      RawWebSocket.Remainder rest = client.readToEnd();

      assertThat(rest.closeCode()).as("frames %s", rest.frames()).isEqualTo(1007);
    }
  }

  @Test
  void compressedMessageWithInvalidUtf8ClosesWith1007() throws IOException {
    try (RawWebSocket client = open(OFFER)) {
      byte[] message =
          concat(ascii("{\"id\":5,\"op\":\"ping\",\"x\":\""), new byte[] {(byte) 0xc3});
      client.sendRaw(compressedText(), true, RawWebSocket.deflate(concat(message, ascii("(\"}"))));

      assertThat(client.readToEnd().closeCode()).isEqualTo(1007);
    }
  }

  @Test
  void rsv1OnAControlFrameClosesWith1002() throws IOException {
    try (RawWebSocket client = open(OFFER)) {
      client.sendRaw(
          RawWebSocket.FIN | RawWebSocket.RSV1 | RawWebSocket.PING,
          true,
          RawWebSocket.deflate(ascii("x")));

      assertThat(client.readToEnd().closeCode()).isEqualTo(1002);
    }
  }

  // ------------------------------------------------------------------ helpers

  private RawWebSocket open(String extensions) throws IOException {
    String token = TestTokens.user(TestIds.next("deflate")).subscribe("*").publish("*").token();
    return RawWebSocket.open(port, token, 64 * KIB, extensions);
  }

  private static int compressedText() {
    return RawWebSocket.FIN | RawWebSocket.RSV1 | RawWebSocket.TEXT;
  }

  /** A ping request of exactly {@code size} bytes: blanks before its closing brace. */
  private static byte[] pingPaddedTo(int size) {
    String start = "{\"id\":5,\"op\":\"ping\"";
    byte[] message = new byte[size];
    Arrays.fill(message, (byte) ' ');
    System.arraycopy(ascii(start), 0, message, 0, start.length());
    message[size - 1] = '}';
    return message;
  }

  /** Bytes allocated so far by every live thread of this JVM, the node's event loops included. */
  private static long allocatedByAllThreads() {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long total = 0;
    for (long allocated : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
      total += Math.max(0, allocated);
    }
    return total;
  }

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] concat(byte[] first, byte[] second) {
    byte[] both = Arrays.copyOf(first, first.length + second.length);
    System.arraycopy(second, 0, both, first.length, second.length);
    return both;
  }
}
