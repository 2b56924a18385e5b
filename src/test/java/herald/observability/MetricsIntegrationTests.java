package herald.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.support.Frames;
import herald.support.Prometheus;
import herald.support.RawWebSocket;
import herald.support.TestApi;
import herald.support.TestIds;
import herald.support.TestSseClient;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.io.IOException;
import java.time.Duration;
import java.util.Collections;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * README "Operations": every {@code herald_} meter appears on {@code /actuator/prometheus} and
 * moves when real clients (WebSocket and SSE, on real sockets) and a backend make traffic. Counters
 * are compared with a scrape taken before, so other tests of the class cannot disturb them; what is
 * counted after a frame is written is awaited, since the client may read the frame first.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "herald.api.key=" + TestTokens.API_KEY,
      "herald.namespaces.chat.client-publish=true",
      // A connection's sixth frame in a burst is refused; no test client here sends more otherwise.
      "herald.rate-limits.inbound-frames-per-second=1",
      "herald.rate-limits.inbound-frames-burst=5",
      "herald.limits.outbound-queue=" + MetricsIntegrationTests.QUEUE
    })
@AutoConfigureWebTestClient
class MetricsIntegrationTests {

  static final int QUEUE = 50;

  private static final Duration MOVED = Duration.ofSeconds(10);
  private static final String WS = "transport=\"websocket\"";
  private static final String SSE = "transport=\"sse\"";

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  @Test
  void trafficOnBothTransportsMovesEveryMeter() {
    Prometheus before = Prometheus.scrape(http);
    String channel = TestIds.next("chat:metrics");
    String user = TestIds.next("alice");
    String token = TestTokens.user(user).subscribe("chat:*").publish("chat:*").token();
    TestApi api = new TestApi(http);

    try (TestWebSocketClient ws =
            TestWebSocketClient.to(port).subprotocol("herald.json").bearer(token).open();
        TestSseClient sse =
            TestSseClient.to(port).channel(channel).bearer(token).openSubscribed()) {
      assertThat(ws.request(1, Frames.subscribe(1, channel)).has("result")).isTrue();

      Prometheus open = Prometheus.scrape(http);
      assertThat(open.since(before, "herald_handshakes_total{" + WS + "}")).isEqualTo(1);
      assertThat(open.since(before, "herald_handshakes_total{" + SSE + "}")).isEqualTo(1);
      assertThat(open.since(before, "herald_connections{" + WS + "}")).isEqualTo(1);
      assertThat(open.since(before, "herald_connections{" + SSE + "}")).isEqualTo(1);
      assertThat(open.since(before, "herald_subscriptions")).isEqualTo(2);
      assertThat(open.since(before, "herald_channels")).isEqualTo(1);

      // One publication from the backend, one from the WebSocket client: each reaches both.
      api.publish(channel, Map.of("n", 1));
      assertThat(ws.request(2, Frames.publish(2, channel, Map.of("n", 2))).has("result")).isTrue();
      assertThat(sse.nextMessage().data()).contains("\"n\":1");
      assertThat(sse.nextMessage().data()).contains("\"n\":2");
      ws.push("message", message -> message.get("offset").asLong() == 2);

      Prometheus published = awaitScrape(now -> delivered(now, before, WS, 2));
      awaitScrape(now -> delivered(now, before, SSE, 2));
      assertThat(published.since(before, "herald_publications_total{source=\"api\"}")).isEqualTo(1);
      assertThat(published.since(before, "herald_publications_total{source=\"client\"}"))
          .isEqualTo(1);
      Prometheus lag = Prometheus.scrape(http);
      for (String transport : new String[] {WS, SSE}) {
        double samples = lag.since(before, "herald_delivery_lag_seconds_count{" + transport + "}");
        assertThat(samples).as("lag samples, one per write batch").isBetween(1.0, 2.0);
        assertThat(
                lag.since(
                    before, "herald_delivery_lag_seconds_bucket{" + transport + ",le=\"10.0\"}"))
            .as("every sample of this quick delivery is under 10 s")
            .isEqualTo(samples);
      }

      // Six frames at once: more than the burst of five (of which subscribe and publish took
      // two, unless a new window began meanwhile), so one to three are refused with 429.
      for (int id = 10; id < 16; id++) {
        ws.send(Frames.ping(id));
      }
      int refused = 0;
      for (int id = 10; id < 16; id++) {
        refused += ws.reply(id).has("error") ? 1 : 0;
      }
      assertThat(refused).isBetween(1, 3);
      assertThat(
              Prometheus.scrape(http)
                  .since(before, "herald_rate_limited_total{limit=\"inbound-frames\"}"))
          .isEqualTo(refused);
    }

    // Both clients left: counted as such, and the gauges are back where they were.
    Prometheus closed =
        awaitScrape(
            now ->
                now.since(before, "herald_disconnects_total{code=\"client\"," + WS + "}") == 1
                    && now.since(before, "herald_disconnects_total{code=\"client\"," + SSE + "}")
                        == 1);
    assertThat(closed.since(before, "herald_connections{" + WS + "}")).isZero();
    assertThat(closed.since(before, "herald_connections{" + SSE + "}")).isZero();
    assertThat(closed.since(before, "herald_subscriptions")).isZero();
  }

  @Test
  void aServerCloseIsCountedByItsCode() {
    Prometheus before = Prometheus.scrape(http);
    String token = TestTokens.user(TestIds.next("bob")).subscribe("chat:*").token();
    try (TestWebSocketClient ws =
        TestWebSocketClient.to(port).subprotocol("herald.json").bearer(token).open()) {
      ws.sendBinary(new byte[] {1, 2, 3});
      ws.awaitTerminated();
      assertThat(ws.closeStatus().code()).isEqualTo(4400);
    }
    awaitScrape(
        now -> now.since(before, "herald_disconnects_total{code=\"4400\"," + WS + "}") == 1);
    assertThat(
            Prometheus.scrape(http)
                .since(before, "herald_disconnects_total{code=\"client\"," + WS + "}"))
        .as("a close the server chose is not also counted as the client's")
        .isZero();
  }

  @Test
  void aClientThatStopsReadingIsCountedAsASlowConsumer() throws IOException {
    Prometheus before = Prometheus.scrape(http);
    String channel = TestIds.next("chat:slow");
    String token = TestTokens.user(TestIds.next("sloth")).subscribe("chat:*").token();
    TestApi api = new TestApi(http);
    try (RawWebSocket sloth = RawWebSocket.open(port, token, 8 * 1024)) {
      sloth.sendText(Frames.subscribe(1, channel));
      assertThat(sloth.readFrame().text()).contains("\"result\"");
      // 16 KiB publications, half a queue at a time, until the node gives up on the sloth.
      Map<String, Object> batch =
          Map.of("channels", Collections.nCopies(QUEUE / 2, channel), "data", "x".repeat(16_384));
      for (int sent = 0;
          sent < 2_000
              && Prometheus.scrape(http).since(before, "herald_slow_consumers_total{" + WS + "}")
                  == 0;
          sent += QUEUE / 2) {
        assertThat(api.post("/api/v1/broadcast", batch).status()).isEqualTo(200);
      }
    }
    Prometheus after = Prometheus.scrape(http);
    assertThat(after.since(before, "herald_slow_consumers_total{" + WS + "}")).isEqualTo(1);
    assertThat(after.since(before, "herald_disconnects_total{code=\"4008\"," + WS + "}"))
        .isEqualTo(1);
  }

  private static boolean delivered(Prometheus now, Prometheus before, String transport, int count) {
    return now.since(before, "herald_deliveries_total{" + transport + "}") == count;
  }

  private Prometheus awaitScrape(Predicate<Prometheus> moved) {
    return await().atMost(MOVED).until(() -> Prometheus.scrape(http), moved);
  }
}
