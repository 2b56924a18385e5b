package herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.HeraldApplication;
import herald.engine.Engine;
import herald.support.Frames;
import herald.support.HeraldIntegrationTest;
import herald.support.Prometheus;
import herald.support.RedisServerExtension;
import herald.support.TestApi;
import herald.support.TestIds;
import herald.support.TestSseClient;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;

/**
 * Herald nodes with {@code herald.redis.url} set: the API publishes through Redis and SSE
 * subscribers on this node and on a second node sharing the Redis receive the same sequence.
 */
@HeraldIntegrationTest
// Its Redis stops after the class; a cached context would keep reconnecting to it.
@DirtiesContext
class RedisNodeIntegrationTests {

  /**
   * "At once" on a shared, busy machine: far below what waiting for Redis would take with a pile-up
   * of requests, yet loose enough that a slow scheduler cannot fail it.
   */
  private static final Duration FAIL_FAST = Duration.ofSeconds(3);

  // A server of its own: one test stops it.
  @RegisterExtension static final RedisServerExtension redis = RedisServerExtension.dedicated();

  private static ConfigurableApplicationContext otherNode;

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  @Autowired Engine engine;

  @DynamicPropertySource
  static void redisUrl(DynamicPropertyRegistry registry) {
    redis.start();
    registry.add("herald.redis.url", redis::url);
  }

  @BeforeAll
  static void startOtherNode() {
    redis.start();
    otherNode =
        // Command-line arguments, since application.yml outranks default properties.
        new SpringApplicationBuilder(HeraldApplication.class)
            .run(
                "--server.port=0",
                "--herald.node.name=other-node",
                "--herald.redis.url=" + redis.url(),
                "--herald.auth.hmac-secret=" + TestTokens.SECRET,
                "--herald.api.key=" + TestTokens.API_KEY,
                "--herald.rate-limits.connections-per-ip-per-second=100000",
                "--herald.rate-limits.connections-per-ip-burst=100000");
  }

  @AfterAll
  static void stopOtherNode() {
    if (otherNode != null) {
      otherNode.close();
    }
  }

  @BeforeEach
  void bothNodesReady() {
    redis.start();
    RedisEngines.awaitReady((RedisEngine) engine);
    RedisEngines.awaitReady((RedisEngine) otherNode.getBean(Engine.class));
  }

  private static int otherPort() {
    return ((WebServerApplicationContext) otherNode).getWebServer().getPort();
  }

  @Test
  void theRedisEngineRunsWhenAUrlIsSet() {
    assertThat(engine).isInstanceOf(RedisEngine.class);
    assertThat(otherNode.getBean(Engine.class)).isInstanceOf(RedisEngine.class);
  }

  @Test
  void apiPublicationsReachSseSubscribersOnEveryNodeInOffsetOrder() {
    String channel = "document:" + TestIds.next("redis");
    String token = TestTokens.user("alice").subscribe("document:*").token();
    TestApi api = new TestApi(http);
    try (TestSseClient here =
            TestSseClient.to(port).channel(channel).bearer(token).openSubscribed();
        TestSseClient there =
            TestSseClient.to(otherPort()).channel(channel).bearer(token).openSubscribed()) {
      for (int n = 1; n <= 5; n++) {
        JsonNode published = api.publish(channel, Map.of("n", n));
        assertThat(published.get("offset").asLong()).isEqualTo(n);
      }
      for (TestSseClient sse : new TestSseClient[] {here, there}) {
        for (int n = 1; n <= 5; n++) {
          JsonNode publication = TestApi.json().readTree(sse.nextMessage().data());
          assertThat(publication.get("channel").asString()).isEqualTo(channel);
          assertThat(publication.get("offset").asLong()).isEqualTo(n);
          assertThat(publication.get("data").get("n").asInt()).isEqualTo(n);
        }
      }
    }
  }

  @Test
  void aSubscriberResumesOnAnotherNodeFromTheRedisHistory() {
    String channel = "document:" + TestIds.next("redis");
    String token = TestTokens.user("alice").subscribe("document:*").token();
    TestApi api = new TestApi(http);
    String lastEventId;
    try (TestSseClient here =
        TestSseClient.to(port).channel(channel).bearer(token).openSubscribed()) {
      api.publish(channel, Map.of("n", 1));
      here.nextMessage();
      lastEventId = here.lastEventId();
    }
    api.publish(channel, Map.of("n", 2));
    api.publish(channel, Map.of("n", 3));
    try (TestSseClient there =
        TestSseClient.to(otherPort())
            .channel(channel)
            .bearer(token)
            .lastEventId(lastEventId)
            .open()) {
      assertThat(there.status()).isEqualTo(200);
      assertThat(there.next().retry()).isNotNull();
      assertThat(TestApi.json().readTree(there.nextMessage().data()).get("offset").asLong())
          .isEqualTo(2);
      assertThat(TestApi.json().readTree(there.nextMessage().data()).get("offset").asLong())
          .isEqualTo(3);
    }
  }

  @Test
  void subscribersOnEveryNodeAreToldResetWhenRedisLosesTheChannelThenGetItsNewSequence() {
    String channel = "document:" + TestIds.next("redis");
    String token = TestTokens.user("alice").subscribe("document:*").token();
    TestApi api = new TestApi(http);
    try (TestSseClient sse =
            TestSseClient.to(port).channel(channel).bearer(token).openSubscribed();
        TestWebSocketClient ws = TestWebSocketClient.to(otherPort()).bearer(token).open()) {
      assertThat(ws.request(1, Frames.subscribe(1, channel)).has("result")).isTrue();
      JsonNode before = api.publish(channel, Map.of("n", 1));
      assertThat(TestApi.json().readTree(sse.nextMessage().data()).get("offset").asLong())
          .isEqualTo(1);
      assertThat(ws.push("message").get("offset").asLong()).isEqualTo(1);

      StepVerifier.create(((RedisEngine) engine).connector().call(c -> c.flushall()))
          .expectNext("OK")
          .expectComplete()
          .verify(Duration.ofSeconds(5));
      JsonNode after = api.publish(channel, Map.of("n", 2));
      String epoch = after.get("epoch").asString();
      assertThat(epoch).isNotEqualTo(before.get("epoch").asString());
      assertThat(after.get("offset").asLong()).isEqualTo(1);

      TestSseClient.Event reset = sse.nextEvent();
      assertThat(reset.event()).as("%s", reset).isEqualTo("reset");
      assertThat(TestApi.json().readTree(reset.data()).get("channels").get(0).asString())
          .isEqualTo(channel);
      JsonNode message = TestApi.json().readTree(sse.nextMessage().data());
      assertThat(message.get("epoch").asString()).isEqualTo(epoch);
      assertThat(message.get("data").get("n").asInt()).isEqualTo(2);

      JsonNode resetPush = ws.next();
      assertThat(resetPush.get("type").asString()).as("%s", resetPush).isEqualTo("reset");
      assertThat(resetPush.get("channel").asString()).isEqualTo(channel);
      assertThat(resetPush.get("offset").asLong()).isZero();
      assertThat(resetPush.get("epoch").asString()).isEqualTo(epoch);
      JsonNode pushed = ws.next();
      assertThat(pushed.get("type").asString()).isEqualTo("message");
      assertThat(pushed.get("epoch").asString()).isEqualTo(epoch);
      assertThat(pushed.get("offset").asLong()).isEqualTo(1);
    }
  }

  @Test
  void publishAnswers503AndReadinessIsDownWhileRedisIsDownAndBothRecoverWhenItIsBack() {
    String channel = "document:" + TestIds.next("redis");
    TestApi api = new TestApi(http);
    Prometheus up = Prometheus.scrape(http);
    assertThat(up.value(COMMANDS_CONNECTED)).isEqualTo(1);
    assertThat(up.value("herald_redis_connected{connection=\"pubsub\"}")).isEqualTo(1);
    assertThat(up.value("herald_redis_circuit_breaker_state{name=\"redis\",state=\"closed\"}"))
        .isEqualTo(1);
    assertThat(up.has("herald_redis_commands_queued")).isTrue();
    assertThat(up.has("herald_redis_commands_in_flight")).isTrue();
    redis.stop();
    try {
      await()
          .atMost(Duration.ofSeconds(10))
          .alias("the metrics show the engine down")
          .until(() -> Prometheus.scrape(http).value(COMMANDS_CONNECTED) == 0);
      long started = System.nanoTime();
      TestApi.Answer answer =
          api.post("/api/v1/publish", Map.of("channel", channel, "data", Map.of("n", 1)));
      assertThat(answer.status()).as("answer %s", answer.body()).isEqualTo(503);
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(FAIL_FAST);
      http.get().uri("/actuator/health/readiness").exchange().expectStatus().isEqualTo(503);
      http.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
    } finally {
      redis.start();
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                api.post("/api/v1/publish", Map.of("channel", channel, "data", Map.of("n", 1)))
                        .status()
                    == 200);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                http.get()
                    .uri("/actuator/health/readiness")
                    .exchange()
                    .returnResult(String.class)
                    .getStatus()
                    .is2xxSuccessful());
    assertThat(Prometheus.scrape(http).value(COMMANDS_CONNECTED)).isEqualTo(1);
  }

  private static final String COMMANDS_CONNECTED =
      "herald_redis_connected{connection=\"commands\"}";
}
