package herald.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.HeraldApplication;
import herald.support.Frames;
import herald.support.HeraldIntegrationTest;
import herald.support.RedisServerExtension;
import herald.support.TestApi;
import herald.support.TestApi.Answer;
import herald.support.TestIds;
import herald.support.TestSseClient;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
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
import tools.jackson.databind.JsonNode;

/**
 * Two Herald nodes on one Redis: a server-side subscribe reaches the user's WebSockets on both, the
 * {@code channels} claim works on either, a client recovers a backend subscription on the other
 * node after a reconnect, and an idempotency key holds on every node (README, "Server-side
 * subscriptions" and "Idempotent publishing").
 */
@HeraldIntegrationTest
// Its Redis stops after the class; a cached context would keep reconnecting to it.
@DirtiesContext
class BackendHooksClusterIntegrationTests {

  private static final String WINDOW = "1s";

  // A server of its own: only these two nodes may be in the directory, or answers are partial.
  @RegisterExtension static final RedisServerExtension redis = RedisServerExtension.dedicated();

  private static ConfigurableApplicationContext nodeB;

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  private final List<AutoCloseable> clients = new ArrayList<>();

  @DynamicPropertySource
  static void cluster(DynamicPropertyRegistry registry) {
    redis.start();
    registry.add("herald.redis.url", redis::url);
    registry.add("herald.node.name", () -> "node-a");
    registry.add("herald.api.idempotency-window", () -> WINDOW);
  }

  @BeforeAll
  static void startNodeB() {
    redis.start();
    // Command-line arguments, since application.yml outranks default properties.
    nodeB =
        new SpringApplicationBuilder(HeraldApplication.class)
            .run(
                "--server.port=0",
                "--herald.node.name=node-b",
                "--herald.redis.url=" + redis.url(),
                "--herald.auth.hmac-secret=" + TestTokens.SECRET,
                "--herald.api.key=" + TestTokens.API_KEY,
                "--herald.api.idempotency-window=" + WINDOW);
  }

  @AfterAll
  static void stopNodeB() {
    if (nodeB != null) {
      nodeB.close();
    }
  }

  /**
   * A node enters the directory with its first report, up to a heartbeat after it reaches Redis;
   * until both are listed, a cluster-wide request waits for one node only.
   */
  @BeforeEach
  void bothNodesListed() {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> assertThat(ok(apiA().get("/api/v1/info")).get("nodes").size()).isEqualTo(2));
  }

  @AfterEach
  void closeClients() throws Exception {
    for (AutoCloseable client : clients) {
      client.close();
    }
  }

  private static int portB() {
    return ((WebServerApplicationContext) nodeB).getWebServer().getPort();
  }

  private TestApi apiA() {
    return new TestApi(http);
  }

  private static TestApi apiB() {
    return new TestApi(WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + portB()).build());
  }

  private static JsonNode ok(Answer answer) {
    assertThat(answer.status()).as("answer %s", answer.body()).isEqualTo(200);
    return answer.json();
  }

  private TestWebSocketClient connected(int nodePort, TestTokens token) {
    TestWebSocketClient ws = TestWebSocketClient.to(nodePort).bearer(token.token()).open();
    clients.add(ws);
    // The client sees 101 before the server registered the connection; a reply proves it did.
    assertThat(ws.request(1000, Frames.ping(1000)).has("result")).isTrue();
    return ws;
  }

  @Test
  void subscribeReachesTheUsersWebSocketsOnBothNodes() {
    String alice = TestIds.next("alice");
    String channel = TestIds.next("document:cluster");
    TestWebSocketClient onA = connected(port, TestTokens.user(alice));
    TestWebSocketClient onB = connected(portB(), TestTokens.user(alice));

    JsonNode answer =
        ok(apiA().post("/api/v1/subscribe", Map.of("user", alice, "channel", channel)));

    assertThat(answer.get("connections").asInt()).isEqualTo(2);
    assertThat(answer.get("refused").asInt()).isZero();
    assertThat(answer.get("partial").asBoolean()).isFalse();
    for (TestWebSocketClient ws : List.of(onA, onB)) {
      JsonNode push = ws.push("subscribe");
      assertThat(push.get("channel").asString()).isEqualTo(channel);
      assertThat(push.get("offset").asLong()).isZero();
    }
    apiB().publish(channel, "to both");
    for (TestWebSocketClient ws : List.of(onA, onB)) {
      assertThat(ws.push("message").get("offset").asLong()).isEqualTo(1);
    }
  }

  @Test
  void aBackendSubscriptionIsRecoveredOnTheOtherNodeAfterAReconnect() {
    String alice = TestIds.next("alice");
    String channel = TestIds.next("secret:claimed");
    TestTokens token = TestTokens.user(alice).channels(channel);
    TestWebSocketClient onA = connected(port, token);
    String epoch = onA.push("subscribe").get("epoch").asString();
    apiB().publish(channel, 1);
    assertThat(onA.push("message").get("offset").asLong()).isEqualTo(1);
    onA.close();
    apiA().publish(channel, 2);
    apiA().publish(channel, 3);

    // Back on node B with the same token: the claim subscribes it at the channel's position, and
    // the client's subscribe from its own offset (as herald.js sends it) recovers 2 and 3.
    TestWebSocketClient onB = connected(portB(), token);
    assertThat(onB.push("subscribe").get("offset").asLong()).isEqualTo(3);
    JsonNode reply = onB.request(1, Frames.subscribe(1, channel, 1, epoch));
    assertThat(reply.get("result").get("recovered").asBoolean()).as("reply %s", reply).isTrue();
    List<Long> offsets = new ArrayList<>();
    for (JsonNode frame : onB.send(Frames.ping(2)).framesBefore(2)) {
      offsets.add(frame.get("offset").asLong());
    }
    assertThat(offsets).containsExactly(2L, 3L);
    apiA().publish(channel, 4);
    assertThat(onB.push("message").get("offset").asLong()).isEqualTo(4);
  }

  @Test
  void aRepeatSentToTheOtherNodePublishesNothingAndAnswersTheFirstResult() {
    String channel = TestIds.next("orders:");
    String token = TestTokens.user(TestIds.next("reader")).subscribe("orders:*").token();
    try (TestSseClient sse =
        TestSseClient.to(portB()).channel(channel).bearer(token).openSubscribed()) {
      Map<String, Object> body = Map.of("channel", channel, "data", 1, "idempotencyKey", "k-1");
      JsonNode first = ok(apiA().post("/api/v1/publish", body));
      JsonNode repeat = ok(apiB().post("/api/v1/publish", body));
      JsonNode broadcastRepeat =
          ok(
              apiB()
                  .post(
                      "/api/v1/broadcast",
                      Map.of("channels", List.of(channel), "data", 1, "idempotencyKey", "k-1")));
      apiB().publish(channel, "sentinel");

      assertThat(repeat).isEqualTo(first);
      assertThat(broadcastRepeat.get("results").get(0).get("offset"))
          .isEqualTo(first.get("offset"));
      assertThat(sse.nextMessage().data()).contains("\"offset\":1");
      assertThat(sse.nextMessage().data()).as("no second publication").contains("sentinel");
    }
  }

  @Test
  void aRepeatAfterTheWindowPublishesAgainAndATooLongKeyIsRefused() {
    String channel = TestIds.next("orders:");
    Map<String, Object> body = Map.of("channel", channel, "data", 1, "idempotencyKey", "late");
    JsonNode first = ok(apiA().post("/api/v1/publish", body));
    JsonNode[] again = new JsonNode[1];
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              again[0] = ok(apiB().post("/api/v1/publish", body));
              return !again[0].equals(first);
            });
    assertThat(again[0].get("offset").asLong()).isEqualTo(2);
    apiB()
        .post(
            "/api/v1/publish",
            Map.of("channel", channel, "data", 1, "idempotencyKey", "k".repeat(65)))
        .assertError(400);
  }
}
