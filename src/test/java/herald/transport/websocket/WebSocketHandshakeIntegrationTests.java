package herald.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.HeraldIntegrationTest;
import herald.support.RawHttp;
import herald.support.TestIds;
import herald.support.TestTokens;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * What {@code /ws} answers to a request that is not a valid handshake, and how it negotiates the
 * subprotocol (README, "The protocol"): the endpoint is served ahead of WebFlux, so these answers
 * are its own.
 */
@HeraldIntegrationTest
class WebSocketHandshakeIntegrationTests {

  private static final String UPGRADE = "Upgrade: websocket\r\n";
  private static final String CONNECTION = "Connection: Upgrade\r\n";
  private static final String KEY = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  private static final String VERSION = "Sec-WebSocket-Version: 13\r\n";

  @LocalServerPort int port;

  @Test
  void anotherMethodIs405WithAllowGet() throws IOException {
    RawHttp.Response response =
        RawHttp.exchange(
            port,
            "POST /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");

    assertThat(response.status()).as(response.head()).isEqualTo(405);
    assertThat(response.header("Allow")).isEqualTo("GET");
    assertThat(response.body())
        .isEqualTo("{\"error\":{\"code\":405,\"message\":\"method not allowed\"}}");
  }

  @ParameterizedTest(name = "without {0}")
  @CsvSource({
    "Upgrade,Upgrade: websocket",
    "Connection,Connection",
    "Sec-WebSocket-Key,Sec-WebSocket-Key"
  })
  void aHandshakeWithoutOneOfItsHeadersIs400(String missing, String expectedInMessage)
      throws IOException {
    String headers =
        (missing.equals("Upgrade") ? "" : UPGRADE)
            + (missing.equals("Sec-WebSocket-Key") ? "" : KEY)
            + VERSION;
    // RawHttp always sends Connection: close; the check wants Upgrade among its values.
    String connection = missing.equals("Connection") ? "close" : "Upgrade, close";
    RawHttp.Response response =
        RawHttp.exchange(
            port,
            "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: "
                + connection
                + "\r\n"
                + headers
                + "\r\n");

    assertThat(response.status()).as(response.head()).isEqualTo(400);
    assertThat(response.body()).startsWith("{\"error\":{\"code\":400,").contains(expectedInMessage);
  }

  @Test
  void anotherWebSocketVersionIs426NamingVersion13() throws IOException {
    String head = handshakeHead(UPGRADE + CONNECTION + KEY + "Sec-WebSocket-Version: 99\r\n");

    assertThat(head).startsWith("HTTP/1.1 426");
    assertThat(head.toLowerCase(Locale.ROOT)).contains("sec-websocket-version: 13");
  }

  @Test
  void anInvalidTokenIs401BeforeTheUpgrade() throws IOException {
    RawHttp.Response response =
        RawHttp.exchange(
            port,
            "GET /ws?token=not.a.token HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, close\r\n"
                + UPGRADE
                + KEY
                + VERSION
                + "\r\n");

    assertThat(response.status()).as(response.head()).isEqualTo(401);
    assertThat(response.body())
        .isEqualTo("{\"error\":{\"code\":401,\"message\":\"invalid token\"}}");
  }

  @Test
  void theFirstOfferedSubprotocolTheNodeSpeaksIsChosen() throws IOException {
    String head = upgradeOffering("chat.v2, herald.msgpack, herald.json");

    assertThat(head).startsWith("HTTP/1.1 101");
    assertThat(head.toLowerCase(Locale.ROOT)).contains("sec-websocket-protocol: herald.msgpack");
  }

  @Test
  void whenNoOfferedSubprotocolIsSpokenTheUpgradeNamesNone() throws IOException {
    String head = upgradeOffering("chat.v2");

    assertThat(head).startsWith("HTTP/1.1 101");
    assertThat(head.toLowerCase(Locale.ROOT)).doesNotContain("sec-websocket-protocol");
  }

  /** The response head of a valid handshake with a token that offers {@code subprotocols}. */
  private String upgradeOffering(String subprotocols) throws IOException {
    String token = TestTokens.user(TestIds.next("handshake")).token();
    return handshakeHead(
        UPGRADE
            + CONNECTION
            + KEY
            + VERSION
            + "Authorization: Bearer "
            + token
            + "\r\n"
            + "Sec-WebSocket-Protocol: "
            + subprotocols
            + "\r\n");
  }

  /** Sends a {@code GET /ws} with {@code headers} and returns the response head. */
  private String handshakeHead(String headers) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(10_000);
      String request = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n" + headers + "\r\n";
      socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        head.write(b);
      }
      return head.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
