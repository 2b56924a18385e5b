package herald.protection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.support.Frames;
import herald.support.RawWebSocket;
import herald.support.TestApi;
import herald.support.TestIds;
import herald.support.TestTokens;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * Each connection's outbound queue is bounded in bytes as well as in messages: a client that stops
 * reading is released once what waits for it passes {@code herald.limits.outbound-queue-bytes},
 * long before the message bound (1,000 by default) is reached. Here the byte bound is 256 KiB and
 * the client is sent 400 publications of 32 KiB (12.5 MiB, far more than socket buffers hold):
 * without a byte bound the node would keep all of them queued, since 400 is under the message
 * bound.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "herald.api.key=" + TestTokens.API_KEY,
      "herald.limits.outbound-queue=1000",
      "herald.limits.outbound-queue-bytes=256KB"
    })
@AutoConfigureWebTestClient
class OutboundBytesIntegrationTests {

  private static final int DATA_SIZE = 32 * 1024;
  private static final int PUBLICATIONS = 400;
  private static final int BATCH = 50;
  private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(10);

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  private TestApi api;
  private String channel;

  @BeforeEach
  void channel() {
    api = new TestApi(http);
    channel = TestIds.next("document:bytes");
  }

  @Test
  void webSocketClientThatStopsReadingIsReleasedAtTheByteBound() throws IOException {
    try (RawWebSocket sloth =
        RawWebSocket.open(
            port,
            TestTokens.user(TestIds.next("sloth")).subscribe("document:*").token(),
            8 * 1024)) {
      sloth.sendText(Frames.subscribe(1, channel));
      assertThat(sloth.readFrame().text()).as("subscribe reply").contains("\"result\"");

      publishUntilReleased();

      RawWebSocket.Remainder rest = sloth.readToEnd();
      assertThat(rest.count(RawWebSocket.TEXT))
          .as("the backlog it could not take was dropped")
          .isLessThan(PUBLICATIONS);
      assertThat(rest.closeCode()).as("close code, if it got through").isIn(null, 4008);
    }
  }

  @Test
  void sseClientThatStopsReadingIsReleasedAtTheByteBound() throws IOException {
    String token = TestTokens.user(TestIds.next("sloth")).subscribe("document:*").token();
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(8 * 1024);
      socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("GET /sse?channel="
                  + channel
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                  + "Authorization: Bearer "
                  + token
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      await().atMost(RELEASE_TIMEOUT).until(() -> subscribers() == 1);

      publishUntilReleased();
    }
  }

  /**
   * Publishes in batches until the only subscriber is gone; fails if all {@link #PUBLICATIONS}
   * (fewer than the message bound) went out and it is still there.
   */
  private void publishUntilReleased() {
    int published = 0;
    while (subscribers() == 1) {
      assertThat(published)
          .as("publications sent while the client is still subscribed")
          .isLessThan(PUBLICATIONS);
      Map<String, Object> body =
          Map.of("channels", Collections.nCopies(BATCH, channel), "data", "x".repeat(DATA_SIZE));
      assertThat(api.post("/api/v1/broadcast", body).status()).isEqualTo(200);
      published += BATCH;
    }
    await()
        .atMost(RELEASE_TIMEOUT)
        .alias("the slow consumer is released")
        .until(() -> subscribers() == 0);
  }

  private int subscribers() {
    for (JsonNode active : api.get("/api/v1/channels").json().get("channels")) {
      if (active.get("channel").asString().equals(channel)) {
        return active.get("subscribers").asInt();
      }
    }
    return 0;
  }
}
