package herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import herald.support.Frames;
import herald.support.HeraldIntegrationTest;
import herald.support.RedisServerExtension;
import herald.support.TestApi;
import herald.support.TestIds;
import herald.support.TestSseClient;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * A node whose Redis is down when it starts (README "Cluster"): it starts, stays alive and not
 * ready, answers 503 fast, and goes live by itself once Redis comes, with the SSE streams opened
 * meanwhile.
 */
@HeraldIntegrationTest
// Its Redis stops after the class; a cached context would keep reconnecting to it.
@DirtiesContext
class RedisStartupIntegrationTests {

  /**
   * "At once" on a shared, busy machine: far below what waiting for Redis would take with a pile-up
   * of requests, yet loose enough that a slow scheduler cannot fail it.
   */
  private static final Duration FAIL_FAST = Duration.ofSeconds(3);

  // Not registered as an extension, which would start it before the node: this node starts first.
  static final RedisServerExtension redis = RedisServerExtension.dedicated();

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  @DynamicPropertySource
  static void redisUrl(DynamicPropertyRegistry registry) {
    registry.add("herald.redis.url", redis::url);
  }

  @AfterAll
  static void stopRedis() {
    redis.stop();
  }

  @Test
  void aNodeStartedWithoutRedisIsAliveButNotReadyThenGoesLiveWhenRedisComes() {
    String channel = "document:" + TestIds.next("startup");
    String token = TestTokens.user("alice").subscribe("document:*").token();
    TestApi api = new TestApi(http);

    http.get().uri("/actuator/health/readiness").exchange().expectStatus().isEqualTo(503);
    http.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
    Duration median = refusedPublishTimes(new TestApi(patient(http)), channel).get(1);
    assertThat(median)
        .as("median of three publishes refused while Redis is down")
        .isLessThan(FAIL_FAST);

    try (TestSseClient sse = TestSseClient.to(port).channel(channel).bearer(token).open();
        TestWebSocketClient ws = TestWebSocketClient.to(port).bearer(token).open()) {
      JsonNode wsRefused = ws.request(1, Frames.subscribe(1, channel));
      assertThat(wsRefused.get("error").get("code").asInt()).isEqualTo(503);
      // The SSE stream opens and waits for the engine: no id-only block yet, no disconnect.
      assertThat(sse.status()).isEqualTo(200);
      assertThat(sse.next().retry()).isNotNull();
      assertThatThrownBy(() -> sse.nextEvent(Duration.ofSeconds(1)))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("no SSE event");

      redis.start();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  http.get()
                      .uri("/actuator/health/readiness")
                      .exchange()
                      .returnResult(String.class)
                      .getStatus()
                      .is2xxSuccessful());

      TestSseClient.Event subscribed = sse.nextEvent(Duration.ofSeconds(10));
      assertThat(subscribed.idOnly()).as("%s", subscribed).isTrue();
      assertThat(ws.request(2, Frames.subscribe(2, channel)).has("result")).isTrue();
      JsonNode published = api.publish(channel, Map.of("n", 1));
      assertThat(published.get("offset").asLong()).isEqualTo(1);
      JsonNode message = TestApi.json().readTree(sse.nextMessage().data());
      assertThat(message.get("offset").asLong()).isEqualTo(1);
      assertThat(message.get("data").get("n").asInt()).isEqualTo(1);
      assertThat(ws.push("message").get("data").get("n").asInt()).isEqualTo(1);
    }
  }

  /**
   * Three publishes while Redis is down, each refused with 503; their times, shortest first. The
   * median is what the test holds to {@link #FAIL_FAST}: a machine that stalls once for a few
   * seconds (the CI runner is shared) must not fail it, a node that waits for Redis on every
   * publish does.
   */
  private static List<Duration> refusedPublishTimes(TestApi api, String channel) {
    List<Duration> times = new ArrayList<>();
    for (int n = 0; n < 3; n++) {
      long started = System.nanoTime();
      TestApi.Answer refused =
          api.post("/api/v1/publish", Map.of("channel", channel, "data", Map.of("n", 0)));
      times.add(Duration.ofNanos(System.nanoTime() - started));
      assertThat(refused.status()).as("answer %s", refused.body()).isEqualTo(503);
    }
    times.sort(null);
    return times;
  }

  /** The same client, waiting longer than a publish may take, so a slow answer is measured. */
  private static WebTestClient patient(WebTestClient http) {
    return http.mutate().responseTimeout(Duration.ofSeconds(20)).build();
  }
}
