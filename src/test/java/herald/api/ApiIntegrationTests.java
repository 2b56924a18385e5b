package herald.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.support.HeraldIntegrationTest;
import herald.support.TestApi;
import herald.support.TestApi.Answer;
import herald.support.TestIds;
import herald.support.TestSseClient;
import herald.support.TestTokens;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/** The backend API (README "The protocol") over the node's real port. */
@HeraldIntegrationTest
class ApiIntegrationTests {

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  private TestApi api;

  @BeforeEach
  void setUp() {
    api = new TestApi(http);
  }

  // --- publish and broadcast -------------------------------------------------------------------

  @Test
  void publishAnswersOffsetAndEpochCountingFromOneOnAFreshChannel() {
    String channel = TestIds.next("document:api");
    List<JsonNode> answers = new ArrayList<>();
    for (int n = 1; n <= 3; n++) {
      answers.add(api.publish(channel, Map.of("n", n)));
    }

    for (JsonNode answer : answers) {
      assertThat(answer.propertyNames()).containsExactlyInAnyOrder("offset", "epoch");
      assertThat(answer.get("offset").isIntegralNumber()).isTrue();
      assertThat(answer.get("epoch").asString()).isNotBlank();
    }
    assertThat(answers).extracting(a -> a.get("offset").asLong()).containsExactly(1L, 2L, 3L);
    assertThat(answers).extracting(a -> a.get("epoch").asString()).containsOnly(epochOf(answers));
  }

  @Test
  void publishAcceptsAnyJsonAsData() {
    String channel = TestIds.next("document:api");
    List<String> values = List.of("\"text\"", "42", "true", "null", "[1,{\"a\":[]}]", "{}");
    for (String value : values) {
      Answer answer =
          api.postRaw(
              "/api/v1/publish", "{\"channel\":\"" + channel + "\",\"data\":" + value + "}");
      assertThat(answer.status()).as("data %s", value).isEqualTo(200);
    }
    JsonNode history = api.get("/api/v1/channels/" + channel + "/history").json();
    assertThat(history.get("publications").valueStream().map(p -> p.get("data").toString()))
        .containsExactlyElementsOf(values);
  }

  @Test
  void broadcastAnswersOneResultPerChannelInRequestOrderAndDelivers() {
    String x = TestIds.next("document:bx");
    String y = TestIds.next("document:by");
    String z = TestIds.next("document:bz");
    api.publish(y, Map.of("n", 0));
    String token = TestTokens.user("alice").subscribe("document:*").token();
    try (TestSseClient sse = TestSseClient.to(port).channel(z, x).bearer(token).openSubscribed()) {
      Answer answer =
          api.post(
              "/api/v1/broadcast", Map.of("channels", List.of(z, y, x), "data", Map.of("k", 1)));

      assertThat(answer.status()).isEqualTo(200);
      JsonNode root = answer.json();
      assertThat(root.propertyNames()).containsExactly("results");
      List<JsonNode> results = root.get("results").valueStream().toList();
      assertThat(results)
          .extracting(r -> r.get("channel").asString() + "#" + r.get("offset").asLong())
          .containsExactly(z + "#1", y + "#2", x + "#1");
      for (JsonNode result : results) {
        assertThat(result.propertyNames()).containsExactlyInAnyOrder("channel", "offset", "epoch");
        assertThat(result.get("epoch").asString()).isNotBlank();
      }

      assertThat(List.of(label(sse.nextMessage()), label(sse.nextMessage())))
          .containsExactly(z + "#1", x + "#1");
    }
  }

  // --- history ---------------------------------------------------------------------------------

  @Test
  void historyReturnsPublicationsWithSinceEpochAndLimit() {
    String channel = TestIds.next("document:hist");
    String epoch = null;
    for (int n = 1; n <= 5; n++) {
      epoch = api.publish(channel, Map.of("n", n)).get("epoch").asString();
    }
    String path = "/api/v1/channels/" + channel + "/history";

    JsonNode all = ok(api.get(path));
    assertThat(all.propertyNames())
        .containsExactlyInAnyOrder("publications", "offset", "epoch", "recovered");
    assertThat(offsets(all)).containsExactly(1L, 2L, 3L, 4L, 5L);
    assertThat(all.get("offset").asLong()).isEqualTo(5);
    assertThat(all.get("epoch").asString()).isEqualTo(epoch);
    assertThat(all.get("recovered").asBoolean()).isTrue();
    JsonNode first = all.get("publications").get(0);
    assertThat(first.propertyNames()).containsExactly("channel", "offset", "epoch", "data", "ts");
    assertThat(first.get("channel").asString()).isEqualTo(channel);
    assertThat(first.get("data").get("n").asInt()).isEqualTo(1);

    JsonNode since = ok(api.get(path + "?since=2&epoch=" + epoch));
    assertThat(offsets(since)).containsExactly(3L, 4L, 5L);
    assertThat(since.get("recovered").asBoolean()).isTrue();

    JsonNode limited = ok(api.get(path + "?since=2&epoch=" + epoch + "&limit=2"));
    assertThat(offsets(limited)).containsExactly(3L, 4L);
    assertThat(limited.get("offset").asLong()).as("latest offset, whatever the limit").isEqualTo(5);

    assertThat(offsets(ok(api.get(path + "?limit=2")))).containsExactly(1L, 2L);
    assertThat(offsets(ok(api.get(path + "?since=5&epoch=" + epoch)))).isEmpty();
  }

  @Test
  void historyWithAWrongEpochIsNotRecovered() {
    String channel = TestIds.next("document:hist");
    String epoch = null;
    for (int n = 1; n <= 3; n++) {
      epoch = api.publish(channel, Map.of("n", n)).get("epoch").asString();
    }

    JsonNode stale =
        ok(api.get("/api/v1/channels/" + channel + "/history?since=1&epoch=stale" + epoch));

    assertThat(stale.get("recovered").asBoolean()).isFalse();
    assertThat(stale.get("epoch").asString()).as("the epoch to start over from").isEqualTo(epoch);
    assertThat(stale.get("offset").asLong()).isEqualTo(3);
  }

  @Test
  void historyBeyondTheWindowIsNotRecovered() {
    String channel = TestIds.next("short:hist");
    String epoch = null;
    for (int n = 1; n <= 5; n++) {
      epoch = api.publish(channel, Map.of("n", n)).get("epoch").asString();
    }
    String path = "/api/v1/channels/" + channel + "/history";

    assertThat(offsets(ok(api.get(path)))).as("history-size 3").containsExactly(3L, 4L, 5L);
    assertThat(ok(api.get(path + "?since=1&epoch=" + epoch)).get("recovered").asBoolean())
        .isFalse();
    assertThat(ok(api.get(path + "?since=2&epoch=" + epoch)).get("recovered").asBoolean()).isTrue();
  }

  @Test
  void historyOfAChannelNeverPublishedToIsEmpty() {
    JsonNode empty = ok(api.get("/api/v1/channels/" + TestIds.next("document:none") + "/history"));
    assertThat(offsets(empty)).isEmpty();
    assertThat(empty.get("offset").asLong()).isZero();
    assertThat(empty.get("epoch").asString()).isNotBlank();
  }

  @Test
  void historyRefusesBadParametersWith400() {
    String path = "/api/v1/channels/" + TestIds.next("document:hist") + "/history";
    api.get(path + "?since=1").assertError(400);
    api.get(path + "?epoch=abc").assertError(400);
    api.get(path + "?since=-1&epoch=abc").assertError(400);
    api.get(path + "?since=one&epoch=abc").assertError(400);
    api.get(path + "?limit=-1").assertError(400);
    api.get(path + "?limit=many").assertError(400);
    api.get("/api/v1/channels/bad!name/history").assertError(400);
  }

  // --- presence, channels, info ----------------------------------------------------------------

  @Test
  void presenceListsAConnectedSseClientUntilItLeaves() {
    String channel = TestIds.next("document:pres");
    String user = TestIds.next("alice");
    String token = TestTokens.user(user).subscribe("document:*").token();
    String presencePath = "/api/v1/channels/" + channel + "/presence";
    String node = ok(api.get("/api/v1/info")).get("nodes").get(0).get("name").asString();

    try (TestSseClient sse =
        TestSseClient.to(port).channel(channel).bearer(token).openSubscribed()) {
      JsonNode presence = ok(api.get(presencePath));
      assertThat(presence.propertyNames()).containsExactly("clients");
      List<JsonNode> clients = presence.get("clients").valueStream().toList();
      assertThat(clients).hasSize(1);
      JsonNode client = clients.get(0);
      assertThat(client.propertyNames()).containsExactlyInAnyOrder("user", "client", "node");
      assertThat(client.get("user").asString()).isEqualTo(user);
      assertThat(client.get("client").asString()).isNotBlank();
      assertThat(client.get("node").asString()).isEqualTo(node);
    }

    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> assertThat(ok(api.get(presencePath)).get("clients").isEmpty()).isTrue());
  }

  @Test
  void presenceComesInPagesWithACursorUntilTheLast() {
    String channel = TestIds.next("document:pages");
    String presencePath = "/api/v1/channels/" + channel + "/presence";
    String token = TestTokens.user(TestIds.next("alice")).subscribe("document:*").token();
    try (TestSseClient one =
            TestSseClient.to(port).channel(channel).bearer(token).openSubscribed();
        TestSseClient two = TestSseClient.to(port).channel(channel).bearer(token).openSubscribed();
        TestSseClient three =
            TestSseClient.to(port).channel(channel).bearer(token).openSubscribed()) {
      JsonNode first = ok(api.get(presencePath + "?limit=2"));
      assertThat(first.get("clients").size()).isEqualTo(2);
      String cursor = first.get("cursor").asString();
      JsonNode second = ok(api.get(presencePath + "?limit=2&cursor=" + cursor));
      assertThat(second.get("clients").size()).isEqualTo(1);
      assertThat(second.has("cursor")).as("the last page has no cursor").isFalse();
      assertThat(ok(api.get(presencePath)).get("clients").size())
          .as("without a limit, one page holds them all")
          .isEqualTo(3);
    }
  }

  @Test
  void channelsListsActiveChannelsWithSubscriberCounts() {
    String busy = TestIds.next("document:busy");
    String quiet = TestIds.next("document:quiet");
    String token = TestTokens.user("alice").subscribe("document:*").token();
    try (TestSseClient one =
            TestSseClient.to(port).channel(busy, quiet).bearer(token).openSubscribed();
        TestSseClient two = TestSseClient.to(port).channel(busy).bearer(token).openSubscribed()) {
      JsonNode channels = ok(api.get("/api/v1/channels"));

      assertThat(channels.propertyNames()).containsExactlyInAnyOrder("channels", "partial");
      assertThat(channels.get("partial").asBoolean()).isFalse();
      Map<String, Integer> counts = new java.util.HashMap<>();
      for (JsonNode entry : channels.get("channels").values()) {
        assertThat(entry.propertyNames()).containsExactlyInAnyOrder("channel", "subscribers");
        counts.put(entry.get("channel").asString(), entry.get("subscribers").asInt());
      }
      assertThat(counts).containsEntry(busy, 2).containsEntry(quiet, 1);
    }
  }

  @Test
  void infoDescribesTheOneNode() {
    String token = TestTokens.user("alice").subscribe("document:*").token();
    try (TestSseClient sse =
        TestSseClient.to(port)
            .channel(TestIds.next("document:info"))
            .bearer(token)
            .openSubscribed()) {
      JsonNode info = ok(api.get("/api/v1/info"));

      assertThat(info.propertyNames()).containsExactlyInAnyOrder("nodes", "partial", "insecure");
      assertThat(info.get("partial").asBoolean()).isFalse();
      assertThat(info.get("insecure").asBoolean()).as("a node with a secret").isFalse();
      assertThat(info.get("nodes").size()).isEqualTo(1);
      JsonNode node = info.get("nodes").get(0);
      assertThat(node.propertyNames())
          .contains("name", "connections", "subscriptions", "uptime", "version");
      assertThat(node.get("name").asString()).isNotBlank();
      assertThat(node.get("connections").isIntegralNumber()).isTrue();
      assertThat(node.get("connections").asInt()).isGreaterThanOrEqualTo(1);
      assertThat(node.get("subscriptions").isIntegralNumber()).isTrue();
      assertThat(node.get("subscriptions").asInt()).isGreaterThanOrEqualTo(1);
      assertThat(node.get("uptime").isNumber()).isTrue();
      assertThat(node.get("uptime").asDouble()).isGreaterThanOrEqualTo(0);
      assertThat(node.get("version").asString()).isNotBlank();
    }
  }

  // --- unsubscribe and disconnect --------------------------------------------------------------

  @Test
  void unsubscribeRevokesTheChannelFromTheUsersConnectionsThatHoldIt() {
    String revoked = TestIds.next("document:rev");
    String kept = TestIds.next("document:kept");
    String user = TestIds.next("alice");
    String token = TestTokens.user(user).subscribe("document:*").token();
    try (TestSseClient both =
            TestSseClient.to(port).channel(revoked, kept).bearer(token).openSubscribed();
        TestSseClient other = TestSseClient.to(port).channel(kept).bearer(token).openSubscribed()) {
      Answer answer = api.post("/api/v1/unsubscribe", Map.of("user", user, "channel", revoked));

      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.json().propertyNames()).containsExactlyInAnyOrder("connections", "partial");
      assertThat(answer.json().get("partial").asBoolean()).isFalse();
      assertThat(answer.json().get("connections").asInt())
          .as("only the connection that held the channel is affected")
          .isEqualTo(1);

      api.publish(revoked, Map.of("n", 1));
      api.publish(kept, Map.of("n", 1));
      assertThat(label(both.nextMessage()))
          .as("the revoked channel no longer delivers; the sentinel on the other one does")
          .isEqualTo(kept + "#1");
      assertThat(label(other.nextMessage())).isEqualTo(kept + "#1");
    }
  }

  @Test
  void unsubscribeOfAUserWithoutConnectionsAffectsNone() {
    Answer answer =
        api.post(
            "/api/v1/unsubscribe", Map.of("user", TestIds.next("nobody"), "channel", "document:x"));
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.json().get("connections").asInt()).isZero();
  }

  @Test
  void disconnectEndsEveryConnectionOfTheUserAndCountsThem() {
    String user = TestIds.next("alice");
    String bystander = TestIds.next("bob");
    String channel = TestIds.next("document:disc");
    try (TestSseClient first = sse(user, channel).openSubscribed();
        TestSseClient second = sse(user, channel).openSubscribed();
        TestSseClient third = sse(bystander, channel).openSubscribed()) {
      Answer answer = api.post("/api/v1/disconnect", Map.of("user", user, "reconnect", true));

      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.json().propertyNames()).containsExactlyInAnyOrder("connections", "partial");
      assertThat(answer.json().get("partial").asBoolean()).isFalse();
      assertThat(answer.json().get("connections").asInt()).isEqualTo(2);
      for (TestSseClient ended : List.of(first, second)) {
        assertThat(ended.nextEvent().event()).isEqualTo("disconnect");
        ended.awaitEnd(TestSseClient.DEFAULT_TIMEOUT);
      }
      api.publish(channel, Map.of("n", 1));
      assertThat(label(third.nextMessage()))
          .as("another user's stream goes on")
          .isEqualTo(channel + "#1");
    }
  }

  @Test
  void disconnectOfAUserWithoutConnectionsAffectsNone() {
    Answer answer =
        api.post("/api/v1/disconnect", Map.of("user", TestIds.next("nobody"), "reconnect", true));
    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.json().get("connections").asInt()).isZero();
  }

  // --- errors ----------------------------------------------------------------------------------

  static Stream<Arguments> everyEndpoint() {
    return Stream.of(
        Arguments.of("POST", "/api/v1/publish", "{\"channel\":\"document:k\",\"data\":1}"),
        Arguments.of("POST", "/api/v1/broadcast", "{\"channels\":[\"document:k\"],\"data\":1}"),
        Arguments.of("GET", "/api/v1/channels/document:k/history", null),
        Arguments.of("GET", "/api/v1/channels/document:k/presence", null),
        Arguments.of("GET", "/api/v1/channels", null),
        Arguments.of("GET", "/api/v1/info", null),
        Arguments.of("POST", "/api/v1/unsubscribe", "{\"user\":\"u\",\"channel\":\"document:k\"}"),
        Arguments.of("POST", "/api/v1/disconnect", "{\"user\":\"u\",\"reconnect\":true}"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("everyEndpoint")
  void missingApiKeyIsRefusedWith401(String method, String path, String body) {
    call(api.withKey(null), method, path, body).assertError(401);
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("everyEndpoint")
  void wrongApiKeyIsRefusedWith401(String method, String path, String body) {
    call(api.withKey("not-the-" + TestTokens.API_KEY), method, path, body).assertError(401);
    call(api.withKey(TestTokens.API_KEY + "x"), method, path, body).assertError(401);
    call(api.withKey(""), method, path, body).assertError(401);
  }

  @Test
  void aJwtIsNoApiKey() {
    String token = TestTokens.user("alice").subscribe("*").publish("*").token();
    Answer answer =
        new TestApi(http.mutate().defaultHeader("Authorization", "Bearer " + token).build())
            .withKey(null)
            .post("/api/v1/publish", Map.of("channel", "document:jwt", "data", 1));
    answer.assertError(401);
  }

  static Stream<Arguments> malformedBodies() {
    return Stream.of(
        Arguments.of("/api/v1/publish", "{not json"),
        Arguments.of("/api/v1/publish", "{\"channel\":\"document:m\",\"data\":"),
        Arguments.of("/api/v1/publish", ""),
        Arguments.of("/api/v1/publish", "[1,2]"),
        Arguments.of("/api/v1/publish", "\"text\""),
        Arguments.of("/api/v1/broadcast", "{\"channels\":[\"document:m\"],"),
        Arguments.of("/api/v1/unsubscribe", "nope"),
        Arguments.of("/api/v1/disconnect", "{\"user\":"));
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("malformedBodies")
  void malformedJsonIsRefusedWith400(String path, String body) {
    api.postRaw(path, body).assertError(400);
  }

  static Stream<Arguments> invalidBodies() {
    return Stream.of(
        Arguments.of(
            "unknown field", "/api/v1/publish", "{\"channel\":\"document:v\",\"data\":1,\"x\":1}"),
        Arguments.of(
            "unknown field",
            "/api/v1/broadcast",
            "{\"channels\":[\"document:v\"],\"data\":1,\"channel\":\"a\"}"),
        Arguments.of(
            "unknown field",
            "/api/v1/unsubscribe",
            "{\"user\":\"u\",\"channel\":\"document:v\",\"all\":true}"),
        Arguments.of(
            "unknown field",
            "/api/v1/disconnect",
            "{\"user\":\"u\",\"reconnect\":true,\"why\":\"x\"}"),
        Arguments.of("bad channel", "/api/v1/publish", "{\"channel\":\"bad channel\",\"data\":1}"),
        Arguments.of(
            "bad channel",
            "/api/v1/publish",
            "{\"channel\":\"" + "a".repeat(256) + "\",\"data\":1}"),
        Arguments.of("bad channel", "/api/v1/publish", "{\"channel\":\"\",\"data\":1}"),
        Arguments.of("bad channel", "/api/v1/publish", "{\"channel\":42,\"data\":1}"),
        Arguments.of(
            "bad channel",
            "/api/v1/broadcast",
            "{\"channels\":[\"document:v\",\"bad;name\"],\"data\":1}"),
        Arguments.of("bad channel", "/api/v1/broadcast", "{\"channels\":[],\"data\":1}"),
        Arguments.of(
            "bad channel", "/api/v1/broadcast", "{\"channels\":\"document:v\",\"data\":1}"),
        Arguments.of(
            "bad channel", "/api/v1/unsubscribe", "{\"user\":\"u\",\"channel\":\"no way\"}"),
        Arguments.of("missing field", "/api/v1/publish", "{\"channel\":\"document:v\"}"),
        Arguments.of("missing field", "/api/v1/publish", "{\"data\":1}"),
        Arguments.of("missing field", "/api/v1/unsubscribe", "{\"user\":\"u\"}"),
        Arguments.of("missing field", "/api/v1/disconnect", "{\"reconnect\":true}"),
        Arguments.of("wrong type", "/api/v1/disconnect", "{\"user\":\"u\",\"reconnect\":\"yes\"}"),
        Arguments.of(
            "wrong type", "/api/v1/unsubscribe", "{\"user\":7,\"channel\":\"document:v\"}"));
  }

  @ParameterizedTest(name = "{0}: {1} {2}")
  @MethodSource("invalidBodies")
  void invalidBodyIsRefusedWith400(String kind, String path, String body) {
    api.postRaw(path, body).assertError(400);
  }

  @Test
  void invalidBroadcastPublishesNothing() {
    String good = TestIds.next("document:atomic");
    api.post("/api/v1/broadcast", Map.of("channels", List.of(good, "bad name"), "data", 1))
        .assertError(400);
    assertThat(offsets(ok(api.get("/api/v1/channels/" + good + "/history")))).isEmpty();
  }

  @Test
  void dataOver64KibIsRefusedWith413() {
    String channel = TestIds.next("document:big");
    // The serialised data is the string plus its two quotes.
    String atLimit = "x".repeat(64 * 1024 - 2);
    assertThat(api.post("/api/v1/publish", Map.of("channel", channel, "data", atLimit)).status())
        .as("exactly 64 KiB is accepted")
        .isEqualTo(200);

    api.post("/api/v1/publish", Map.of("channel", channel, "data", atLimit + "x")).assertError(413);
    api.post("/api/v1/broadcast", Map.of("channels", List.of(channel), "data", atLimit + "x"))
        .assertError(413);
    assertThat(ok(api.get("/api/v1/channels/" + channel + "/history")).get("offset").asLong())
        .as("nothing too large was published")
        .isEqualTo(1);
  }

  @Test
  void bodyFarOverTheLimitIsRefusedWith413() {
    String channel = TestIds.next("document:huge");
    api.post("/api/v1/publish", Map.of("channel", channel, "data", "x".repeat(1024 * 1024)))
        .assertError(413);
  }

  @Test
  void unknownPathAndWrongMethodAnswerInTheSameErrorShape() {
    api.get("/api/v1/nothing-here").assertError(404);
    api.get("/api/v1/publish").assertError(405);
  }

  // ---------------------------------------------------------------------------------------------

  private static Answer call(TestApi client, String method, String path, String body) {
    return method.equals("GET") ? client.get(path) : client.postRaw(path, body);
  }

  private static JsonNode ok(Answer answer) {
    assertThat(answer.status()).as("answer %s", answer.body()).isEqualTo(200);
    return answer.json();
  }

  private static List<Long> offsets(JsonNode history) {
    return history.get("publications").valueStream().map(p -> p.get("offset").asLong()).toList();
  }

  private static String epochOf(List<JsonNode> answers) {
    return answers.get(0).get("epoch").asString();
  }

  private static String label(TestSseClient.Event message) {
    JsonNode publication = TestApi.json().readTree(message.data());
    return publication.get("channel").asString() + "#" + publication.get("offset").asLong();
  }

  private TestSseClient.Request sse(String user, String channel) {
    String token = TestTokens.user(user).subscribe("document:*").token();
    return TestSseClient.to(port).channel(channel).bearer(token);
  }
}
