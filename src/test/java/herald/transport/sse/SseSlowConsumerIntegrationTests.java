package herald.transport.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.support.HeraldIntegrationTest;
import herald.support.TestApi;
import herald.support.TestIds;
import herald.support.TestTokens;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * README "Limits and protection": a client that cannot keep up is closed with 4008 (SSE: {@code
 * disconnect}) and never slows others down. The client here is a plain socket that stops reading
 * once subscribed, so the node's outbound queue (1,000 messages) fills for real.
 */
@HeraldIntegrationTest
class SseSlowConsumerIntegrationTests {

  private static final int DATA_SIZE = 16 * 1024;
  private static final int BROADCAST_FANOUT = 1000;

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  @Test
  void clientThatStopsReadingIsReleasedAndFindsADisconnect4008AtTheEndOfItsBacklog()
      throws IOException {
    TestApi api = new TestApi(http);
    String channel = TestIds.next("document:slow");
    String token = TestTokens.user(TestIds.next("sloth")).subscribe("document:*").token();
    String presence = "/api/v1/channels/" + channel + "/presence";

    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(16 * 1024);
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(10_000);
      send(socket.getOutputStream(), channel, token);
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> api.get(presence).json().get("clients").size() == 1);

      // Each broadcast names the channel 1,000 times: 1,000 publications of 16 KiB in one call.
      Map<String, Object> body =
          Map.of(
              "channels",
              Collections.nCopies(BROADCAST_FANOUT, channel),
              "data",
              "x".repeat(DATA_SIZE));
      for (int i = 0; i < 2; i++) {
        assertThat(api.post("/api/v1/broadcast", body).status()).isEqualTo(200);
      }

      await()
          .atMost(Duration.ofSeconds(5))
          .alias("the slow consumer is released without waiting for it to read")
          .until(() -> api.get(presence).json().get("clients").isEmpty());

      String stream = body(readToEnd(socket.getInputStream()));
      long delivered = stream.split("\nevent: message\n", -1).length - 1;
      assertThat(delivered)
          .as("the backlog it could not take was dropped")
          .isLessThan(2L * BROADCAST_FANOUT);
      assertThat(stream).endsWith("\n\n");
      String last = lastBlock(stream);
      assertThat(last).as("last block").startsWith("event: disconnect\ndata: ");
      JsonNode data = TestApi.json().readTree(last.substring(last.indexOf("data: ") + 6).strip());
      assertThat(data.get("code").asInt()).isEqualTo(4008);
      assertThat(data.get("reconnect").asBoolean()).isTrue();
    }
  }

  private static void send(OutputStream out, String channel, String token) throws IOException {
    String request =
        "GET /sse?channel="
            + channel
            + " HTTP/1.1\r\n"
            + "Host: 127.0.0.1\r\n"
            + "Accept: text/event-stream\r\n"
            + "Authorization: Bearer "
            + token
            + "\r\n"
            + "Connection: close\r\n\r\n";
    out.write(request.getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private static byte[] readToEnd(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    return all.toByteArray();
  }

  /** The response body as text, de-chunked when the response is chunked. */
  private static String body(byte[] response) {
    String text = new String(response, StandardCharsets.ISO_8859_1);
    int headerEnd = text.indexOf("\r\n\r\n");
    assertThat(headerEnd).as("response headers").isPositive();
    String headers = text.substring(0, headerEnd).toLowerCase(Locale.ROOT);
    assertThat(headers).startsWith("http/1.1 200");
    String body = text.substring(headerEnd + 4);
    if (headers.contains("transfer-encoding: chunked")) {
      body = dechunk(body);
    }
    return new String(body.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
  }

  private static String dechunk(String chunked) {
    StringBuilder body = new StringBuilder();
    int at = 0;
    while (true) {
      int lineEnd = chunked.indexOf("\r\n", at);
      assertThat(lineEnd).as("chunk size line at %s", at).isGreaterThanOrEqualTo(0);
      int size = Integer.parseInt(chunked.substring(at, lineEnd).split(";")[0].trim(), 16);
      if (size == 0) {
        return body.toString();
      }
      body.append(chunked, lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
    }
  }

  private static String lastBlock(String stream) {
    String trimmed = stream.substring(0, stream.length() - 2);
    return trimmed.substring(trimmed.lastIndexOf("\n\n") + 2);
  }
}
