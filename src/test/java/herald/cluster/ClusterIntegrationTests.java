package herald.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.HeraldApplication;
import herald.engine.Backplane;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
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
import tools.jackson.databind.JsonNode;

/**
 * Three Herald nodes on one Redis act as one server: {@code info}, {@code channels}, {@code
 * unsubscribe}, {@code disconnect} and the per-user connection limit span every node, and
 * publishers on all three see one sequence.
 */
@HeraldIntegrationTest
// Its Redis stops after the class; a cached context would keep reconnecting to it.
@DirtiesContext
class ClusterIntegrationTests {

  private static final int CONNECTIONS_PER_USER = 3;

  // A server of its own: the node directory must list these nodes only.
  @RegisterExtension static final RedisServerExtension redis = RedisServerExtension.dedicated();

  private static ConfigurableApplicationContext nodeB;
  private static ConfigurableApplicationContext nodeC;

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  @Autowired Backplane backplane;

  @DynamicPropertySource
  static void cluster(DynamicPropertyRegistry registry) {
    redis.start();
    registry.add("herald.redis.url", redis::url);
    registry.add("herald.node.name", () -> "node-a");
    registry.add("herald.limits.max-connections-per-user", () -> CONNECTIONS_PER_USER);
  }

  @BeforeAll
  static void startOtherNodes() {
    redis.start();
    nodeB = startNode("node-b");
    nodeC = startNode("node-c");
  }

  /**
   * A node enters the directory with its first report, up to a heartbeat after it reaches Redis;
   * until all three are listed, a cluster-wide request waits for fewer nodes.
   */
  @BeforeEach
  void everyNodeListed() {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(names(ok(api().get("/api/v1/info"))))
                    .contains("node-a", "node-b", "node-c"));
  }

  private static ConfigurableApplicationContext startNode(String name) {
    // Command-line arguments, since application.yml outranks default properties.
    return new SpringApplicationBuilder(HeraldApplication.class)
        .run(
            "--server.port=0",
            "--herald.node.name=" + name,
            "--herald.redis.url=" + redis.url(),
            "--herald.auth.hmac-secret=" + TestTokens.SECRET,
            "--herald.api.key=" + TestTokens.API_KEY,
            "--herald.limits.max-connections-per-user=" + CONNECTIONS_PER_USER,
            "--herald.rate-limits.connections-per-ip-per-second=100000",
            "--herald.rate-limits.connections-per-ip-burst=100000",
            "--herald.namespaces.lobby.anonymous=true");
  }

  @AfterAll
  static void stopOtherNodes() {
    for (ConfigurableApplicationContext node :
        new ConfigurableApplicationContext[] {nodeB, nodeC}) {
      if (node != null) {
        node.close();
      }
    }
  }

  private static int portOf(ConfigurableApplicationContext node) {
    return ((WebServerApplicationContext) node).getWebServer().getPort();
  }

  private static TestApi apiOf(int port) {
    return new TestApi(WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).build());
  }

  private TestApi api() {
    return new TestApi(http);
  }

  private static JsonNode ok(Answer answer) {
    assertThat(answer.status()).as("answer %s", answer.body()).isEqualTo(200);
    return answer.json();
  }

  private static List<String> names(JsonNode info) {
    List<String> names = new ArrayList<>();
    info.get("nodes").values().forEach(node -> names.add(node.get("name").asString()));
    return names;
  }

  private static TestSseClient sse(int port, String user, String... channels) {
    String token = TestTokens.user(user).subscribe("document:*").token();
    return TestSseClient.to(port).channel(channels).bearer(token).openSubscribed();
  }

  @Test
  void infoListsEveryLiveNodeWithItsFiguresTheAnsweringOneFirst() {
    String channel = TestIds.next("document:info");
    try (TestSseClient onB = sse(portOf(nodeB), TestIds.next("alice"), channel)) {
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                JsonNode info = ok(api().get("/api/v1/info"));
                assertThat(info.get("partial").asBoolean()).isFalse();
                assertThat(names(info)).containsExactly("node-a", "node-b", "node-c");
                JsonNode b = info.get("nodes").get(1);
                assertThat(b.get("connections").asInt()).isGreaterThanOrEqualTo(1);
                assertThat(b.get("subscriptions").asInt()).isGreaterThanOrEqualTo(1);
              });
      assertThat(names(ok(apiOf(portOf(nodeC)).get("/api/v1/info"))))
          .containsExactly("node-c", "node-a", "node-b");
    }
  }

  @Test
  void aNodeThatStopsLeavesTheDirectory() {
    ConfigurableApplicationContext nodeD = startNode("node-d");
    try {
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> names(ok(api().get("/api/v1/info"))).contains("node-d"));
    } finally {
      nodeD.close();
    }
    assertThat(names(ok(api().get("/api/v1/info")))).doesNotContain("node-d");
  }

  @Test
  void aNodeThatDiesDropsOutOnceItsLastReportExpires() {
    String figures =
        TestApi.json()
            .writeValueAsString(new NodeFigures("node-ghost", 7, Map.of("sse", 7L), 7, 1, "dev"));
    backplane.report("node-ghost", figures, Duration.ofMillis(1500)).block();

    assertThat(names(ok(api().get("/api/v1/info")))).contains("node-ghost");
    await()
        .atMost(Duration.ofSeconds(5))
        .pollDelay(Duration.ofMillis(1000))
        .until(() -> !names(ok(api().get("/api/v1/info"))).contains("node-ghost"));
  }

  @Test
  void channelsSumsTheSubscribersOfEveryNode() {
    String channel = TestIds.next("document:sum");
    String user = TestIds.next("alice");
    try (TestSseClient onA = sse(port, user, channel);
        TestSseClient onB = sse(portOf(nodeB), user, channel);
        TestSseClient onC = sse(portOf(nodeC), TestIds.next("bob"), channel)) {
      // A node counts once it is in the directory (its report every second, gone after three): on
      // a busy machine a late report leaves it out of one answer, so the sum is awaited.
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                JsonNode channels = ok(api().get("/api/v1/channels"));
                assertThat(channels.get("partial").asBoolean()).isFalse();
                Map<String, Integer> counts = new HashMap<>();
                channels
                    .get("channels")
                    .values()
                    .forEach(
                        e -> counts.put(e.get("channel").asString(), e.get("subscribers").asInt()));
                assertThat(counts).containsEntry(channel, 3);
              });
    }
  }

  @Test
  void unsubscribeReachesTheUsersConnectionsOnEveryNode() {
    String revoked = TestIds.next("document:rev");
    String kept = TestIds.next("document:kept");
    String user = TestIds.next("alice");
    try (TestSseClient onB = sse(portOf(nodeB), user, revoked, kept);
        TestSseClient onC = sse(portOf(nodeC), user, revoked, kept)) {
      JsonNode answer =
          ok(api().post("/api/v1/unsubscribe", Map.of("user", user, "channel", revoked)));

      assertThat(answer.get("connections").asInt()).isEqualTo(2);
      assertThat(answer.get("partial").asBoolean()).isFalse();
      api().publish(revoked, Map.of("n", 1));
      api().publish(kept, Map.of("n", 1));
      for (TestSseClient sse : List.of(onB, onC)) {
        JsonNode next = TestApi.json().readTree(sse.nextMessage().data());
        assertThat(next.get("channel").asString())
            .as("the revoked channel no longer delivers; the other one does")
            .isEqualTo(kept);
      }
    }
  }

  @Test
  void disconnectClosesTheUsersConnectionsOnEveryNode() {
    String channel = TestIds.next("document:disc");
    String user = TestIds.next("alice");
    try (TestSseClient onA = sse(port, user, channel);
        TestSseClient onC = sse(portOf(nodeC), user, channel);
        TestSseClient bystander = sse(portOf(nodeB), TestIds.next("bob"), channel)) {
      JsonNode answer = ok(apiOf(portOf(nodeB)).post("/api/v1/disconnect", Map.of("user", user)));

      assertThat(answer.get("connections").asInt()).isEqualTo(2);
      for (TestSseClient ended : List.of(onA, onC)) {
        assertThat(ended.nextEvent().event()).isEqualTo("disconnect");
        ended.awaitEnd(TestSseClient.DEFAULT_TIMEOUT);
      }
      api().publish(channel, Map.of("n", 1));
      assertThat(bystander.nextMessage().data()).contains(channel);
    }
  }

  @Test
  void theConnectionsPerUserLimitCountsEveryNode() {
    String channel = TestIds.next("document:limit");
    String user = TestIds.next("alice");
    String token = TestTokens.user(user).subscribe("document:*").token();
    try (TestSseClient first = sse(port, user, channel);
        TestSseClient second = sse(port, user, channel);
        TestSseClient third = sse(portOf(nodeB), user, channel)) {
      TestSseClient refused = TestSseClient.to(portOf(nodeC)).channel(channel).bearer(token).open();
      assertThat(refused.status()).as("SSE over the limit: %s", refused.body()).isEqualTo(429);
      refused.close();

      try (TestWebSocketClient ws = TestWebSocketClient.to(portOf(nodeC)).bearer(token).connect()) {
        ws.awaitTerminated();
        assertThat(ws.closeStatus().code()).isEqualTo(4029);
      }

      first.close();
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () -> {
                try (TestSseClient again =
                    TestSseClient.to(portOf(nodeC)).channel(channel).bearer(token).open()) {
                  assertThat(again.status())
                      .as("a connection closed on one node frees a place on every node")
                      .isEqualTo(200);
                }
              });
    }
  }

  @Test
  void aRefreshRefusedByTheClusterWideLimitLeavesTheConnectionWithoutTheUser() {
    String channel = TestIds.next("document:refresh-limit");
    String user = TestIds.next("alice");
    String token = TestTokens.user(user).subscribe("document:*").token();
    try (TestSseClient first = sse(port, user, channel);
        TestSseClient second = sse(port, user, channel);
        TestSseClient third = sse(portOf(nodeB), user, channel);
        TestWebSocketClient ws = TestWebSocketClient.to(portOf(nodeC)).connect()) {
      // Anonymous first (node C has an anonymous namespace, so a tokenless connect is admitted).
      assertThat(ws.request(1, Frames.connect(1)).has("result")).isTrue();

      JsonNode refused = ws.request(2, Frames.refresh(2, token));

      assertThat(refused.get("error").get("code").asInt()).as("reply %s", refused).isEqualTo(429);
      JsonNode subscribe = ws.request(3, Frames.subscribe(3, channel));
      assertThat(subscribe.get("error").get("code").asInt())
          .as("the connection must not act as the user: %s", subscribe)
          .isEqualTo(401);
      JsonNode disconnected =
          ok(api().post("/api/v1/disconnect", Map.of("user", user, "reconnect", false)));
      assertThat(disconnected.get("connections").asInt())
          .as("only the user's three admitted connections")
          .isEqualTo(3);
      assertThat(ws.request(4, Frames.ping(4)).has("result"))
          .as("the refused connection is still open and tracked as it was")
          .isTrue();
    }
  }

  @Test
  void publishersOnThreeNodesInterleaveIntoOneSequenceSeenAlikeEverywhere() throws Exception {
    String channel = TestIds.next("document:interleaved");
    String user = TestIds.next("alice");
    int perNode = 40;
    List<Integer> ports = List.of(port, portOf(nodeB), portOf(nodeC));
    List<TestSseClient> subscribers = new ArrayList<>();
    try {
      for (int nodePort : ports) {
        subscribers.add(sse(nodePort, TestIds.next(user), channel));
      }
      List<CompletableFuture<Void>> publishers = new ArrayList<>();
      for (int nodePort : ports) {
        TestApi nodeApi = apiOf(nodePort);
        publishers.add(
            CompletableFuture.runAsync(
                () -> {
                  for (int n = 1; n <= perNode; n++) {
                    nodeApi.publish(channel, Map.of("node", nodePort, "n", n));
                  }
                }));
      }
      CompletableFuture.allOf(publishers.toArray(CompletableFuture[]::new)).get();

      List<String> first = null;
      for (TestSseClient sse : subscribers) {
        List<String> seen = new ArrayList<>();
        for (long offset = 1; offset <= 3L * perNode; offset++) {
          JsonNode publication = TestApi.json().readTree(sse.nextMessage().data());
          assertThat(publication.get("offset").asLong()).isEqualTo(offset);
          seen.add(publication.get("data").toString());
        }
        if (first == null) {
          first = seen;
        } else {
          assertThat(seen).as("every node delivers the same sequence").isEqualTo(first);
        }
      }
    } finally {
      subscribers.forEach(TestSseClient::close);
    }
  }
}
