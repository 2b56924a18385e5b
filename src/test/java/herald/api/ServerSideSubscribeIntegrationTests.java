package herald.api;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.Frames;
import herald.support.HeraldIntegrationTest;
import herald.support.TestApi;
import herald.support.TestApi.Answer;
import herald.support.TestIds;
import herald.support.TestSseClient;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * Server-side subscriptions on one node (in-memory engine), over real sockets and on both
 * subprotocols: {@code POST /api/v1/subscribe} and the token's {@code channels} claim (README,
 * "Server-side subscriptions"). The node allows {@value #LIMIT} channels per connection.
 */
@HeraldIntegrationTest
@TestPropertySource(
    properties = {
      "herald.limits.max-channels-per-connection=" + ServerSideSubscribeIntegrationTests.LIMIT,
      "herald.api.idempotency-window=1s"
    })
@ParameterizedClass
@ValueSource(strings = {"herald.json", "herald.msgpack"})
class ServerSideSubscribeIntegrationTests {

  static final int LIMIT = 3;

  @Parameter String codec;

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  private final List<AutoCloseable> clients = new ArrayList<>();

  @AfterEach
  void closeClients() throws Exception {
    for (AutoCloseable client : clients) {
      client.close();
    }
  }

  @Test
  void subscribeReachesEveryWebSocketOfTheUserWithAPushThenPublications() {
    String alice = TestIds.next("alice");
    String channel = TestIds.next("document:s");
    TestApi api = new TestApi(http);
    api.publish(channel, "before");
    TestWebSocketClient first = connected(TestTokens.user(alice));
    TestWebSocketClient second = connected(TestTokens.user(alice));
    TestWebSocketClient bob = connected(TestTokens.user(TestIds.next("bob")));
    TestSseClient sse = track(sseOf(alice, "user:" + alice));

    JsonNode answer = ok(subscribe(alice, channel));

    assertThat(answer.propertyNames()).containsExactly("connections", "refused", "partial");
    assertThat(answer.get("connections").asInt()).as("the WebSockets, not SSE").isEqualTo(2);
    assertThat(answer.get("refused").asInt()).isZero();
    assertThat(answer.get("partial").asBoolean()).isFalse();
    for (TestWebSocketClient ws : List.of(first, second)) {
      JsonNode push = ws.push("subscribe");
      assertThat(push.propertyNames()).containsExactly("type", "channel", "epoch", "offset");
      assertThat(push.get("channel").asString()).isEqualTo(channel);
      assertThat(push.get("offset").asLong()).as("the channel's position").isEqualTo(1);
      assertThat(push.get("epoch").asString()).isNotBlank();
    }
    api.publish(channel, "after");
    for (TestWebSocketClient ws : List.of(first, second)) {
      JsonNode message = ws.push("message");
      assertThat(message.get("channel").asString()).isEqualTo(channel);
      assertThat(message.get("offset").asLong()).isEqualTo(2);
    }
    assertThat(bob.send(Frames.ping(9)).framesBefore(9)).as("another user").isEmpty();
  }

  @Test
  void aChannelAlreadyHeldIsANoOpWithoutASecondPush() {
    String alice = TestIds.next("alice");
    String own = TestIds.next("document:own");
    String backend = TestIds.next("document:backend");
    TestWebSocketClient ws = connected(TestTokens.user(alice).subscribe("document:*"));
    result(ws.request(1, Frames.subscribe(1, own)));

    assertThat(ok(subscribe(alice, own)).get("connections").asInt()).isEqualTo(1);
    assertThat(ok(subscribe(alice, backend)).get("connections").asInt()).isEqualTo(1);
    assertThat(ok(subscribe(alice, backend)).get("connections").asInt()).isEqualTo(1);

    List<JsonNode> pushes = ws.send(Frames.ping(2)).framesBefore(2);
    assertThat(pushes).hasSize(1);
    assertThat(pushes.get(0).get("channel").asString()).isEqualTo(backend);
  }

  @Test
  void noSubscribePermissionIsNeededAndARefreshKeepsTheChannel() {
    String alice = TestIds.next("alice");
    String channel = TestIds.next("secret:room");
    TestTokens token = TestTokens.user(alice);
    TestWebSocketClient ws = connected(token);
    assertError(ws.request(1, Frames.subscribe(1, TestIds.next("secret:other"))), 403);

    ok(subscribe(alice, channel));
    ws.push("subscribe");
    result(ws.request(2, Frames.refresh(2, token.token())));
    new TestApi(http).publish(channel, "still here");

    assertThat(ws.push("message").get("channel").asString()).isEqualTo(channel);
    assertThat(ws.send(Frames.ping(3)).framesBefore(3))
        .as("no unsubscribe push after the refresh")
        .isEmpty();
  }

  @Test
  void aConnectionAtItsChannelLimitIsNotSubscribedAndCountsAsRefused() {
    String alice = TestIds.next("alice");
    TestWebSocketClient full = connected(TestTokens.user(alice).subscribe("document:*"));
    for (int n = 1; n <= LIMIT; n++) {
      result(full.request(n, Frames.subscribe(n, TestIds.next("document:full"))));
    }
    TestWebSocketClient roomy = connected(TestTokens.user(alice));
    String channel = TestIds.next("document:one-more");

    JsonNode answer = ok(subscribe(alice, channel));

    assertThat(answer.get("connections").asInt()).isEqualTo(1);
    assertThat(answer.get("refused").asInt()).isEqualTo(1);
    assertThat(roomy.push("subscribe").get("channel").asString()).isEqualTo(channel);
    new TestApi(http).publish(channel, "x");
    assertThat(full.send(Frames.ping(9)).framesBefore(9)).as("nothing for the full one").isEmpty();
  }

  @Test
  void theClientTakesOverABackendSubscriptionAndRecoversFromItsOffset() {
    String alice = TestIds.next("alice");
    String channel = TestIds.next("secret:feed");
    TestApi api = new TestApi(http);
    api.publish(channel, 1);
    api.publish(channel, 2);
    TestWebSocketClient ws = connected(TestTokens.user(alice));
    ok(subscribe(alice, channel));
    String epoch = ws.push("subscribe").get("epoch").asString();
    api.publish(channel, 3);
    api.publish(channel, 4);

    // As herald.js does after a reconnect: subscribe from the last offset it saw (2), without a
    // subscribe permission, since the backend subscribed it.
    JsonNode reply = result(ws.request(5, Frames.subscribe(5, channel, 2, epoch)));
    assertThat(reply.get("recovered").asBoolean()).isTrue();
    assertThat(reply.get("offset").asLong()).isEqualTo(4);
    List<Long> offsets = new ArrayList<>();
    for (JsonNode frame : ws.send(Frames.ping(6)).framesBefore(6)) {
      offsets.add(frame.get("offset").asLong());
    }
    // 3 and 4 arrived live, then again from history after the reply; herald.js drops duplicates.
    assertThat(offsets).endsWith(3L, 4L);
    api.publish(channel, 5);
    assertThat(ws.push("message").get("offset").asLong()).isEqualTo(5);
    assertThat(ws.send(Frames.ping(7)).framesBefore(7)).as("held once, not twice").isEmpty();
  }

  @Test
  void aTakeOverKeepsThePresenceEntryWithoutASecondJoin() {
    String alice = TestIds.next("alice");
    String channel = TestIds.next("chat:room");
    TestWebSocketClient bob = connected(TestTokens.user(TestIds.next("bob")).subscribe("chat:*"));
    result(bob.request(1, Frames.subscribe(1, channel)));
    bob.push("join"); // its own
    TestWebSocketClient ws = connected(TestTokens.user(alice));
    ok(subscribe(alice, channel));
    JsonNode position = ws.push("subscribe");
    assertThat(bob.push("join").get("user").asString()).isEqualTo(alice);

    result(
        ws.request(
            2,
            Frames.subscribe(
                2, channel, position.get("offset").asLong(), position.get("epoch").asString())));

    assertThat(bob.send(Frames.ping(3)).framesBefore(3)).as("no second join").isEmpty();
    JsonNode presence = result(bob.request(4, Frames.presence(4, channel)));
    assertThat(presence.get("clients").size()).isEqualTo(2);
    ws.close();
    assertThat(bob.push("leave").get("user").asString()).isEqualTo(alice);
  }

  @Test
  void theChannelsClaimSubscribesAtTheHandshakeBeforeAnyReply() {
    String alice = TestIds.next("alice");
    String a = TestIds.next("secret:a");
    String b = TestIds.next("secret:b");
    TestWebSocketClient ws = connected(TestTokens.user(alice).channels(a, b));

    List<JsonNode> before = ws.send(Frames.ping(1)).framesBefore(1);

    assertThat(before).extracting(frame -> frame.get("type").asString()).containsOnly("subscribe");
    assertThat(before).extracting(frame -> frame.get("channel").asString()).containsExactly(a, b);
    new TestApi(http).publish(b, "hello");
    assertThat(ws.push("message").get("channel").asString()).isEqualTo(b);
  }

  @Test
  void theChannelsClaimOfAConnectFrameSubscribesRightAfterTheConnectReply() {
    String alice = TestIds.next("alice");
    String channel = TestIds.next("secret:c");
    TestWebSocketClient ws = track(client().open());

    ws.send(Frames.connect(1, TestTokens.user(alice).channels(channel).token()));

    JsonNode first = ws.next();
    assertThat(first.get("id").asLong()).as("the connect reply first: %s", first).isEqualTo(1);
    assertThat(ws.next().get("type").asString()).isEqualTo("subscribe");
  }

  @Test
  void claimedChannelsPastTheLimitAreLeftOutAndTheConnectionStays() {
    String alice = TestIds.next("alice");
    String[] claimed = new String[LIMIT + 2];
    for (int i = 0; i < claimed.length; i++) {
      claimed[i] = TestIds.next("secret:many");
    }
    TestWebSocketClient ws = connected(TestTokens.user(alice).channels(claimed));

    List<JsonNode> pushes = ws.send(Frames.ping(1)).framesBefore(1);

    assertThat(pushes)
        .extracting(frame -> frame.get("channel").asString())
        .containsExactly(claimed[0], claimed[1], claimed[2]);
  }

  @Test
  void aTokenWhoseChannelsClaimHoldsABadNameIsRefusedWith401() {
    String token = TestTokens.user(TestIds.next("alice")).channels("ok", "bad name").token();
    assertThat(client().bearer(token).refusedStatus()).isEqualTo(401);
  }

  @Test
  void sseIgnoresTheClaimButMayNameItsChannels() {
    String alice = TestIds.next("alice");
    String claimed = TestIds.next("secret:sse");
    String token = TestTokens.user(alice).channels(claimed).token();
    TestSseClient sse =
        track(TestSseClient.to(port).channel(claimed).bearer(token).openSubscribed());

    new TestApi(http).publish(claimed, "over sse");

    assertThat(sse.nextMessage().data()).contains(claimed);
  }

  @Test
  void badRequestsAreRefused() {
    TestApi api = new TestApi(http);
    api.post("/api/v1/subscribe", Map.of("user", "alice", "channel", "bad name")).assertError(400);
    api.post("/api/v1/subscribe", Map.of("channel", "news")).assertError(400);
    api.post("/api/v1/subscribe", Map.of("user", "a", "channel", "news", "x", 1)).assertError(400);
    api.withKey(null)
        .post("/api/v1/subscribe", Map.of("user", "a", "channel", "news"))
        .assertError(401);
    JsonNode nobody = ok(subscribe(TestIds.next("nobody"), "news"));
    assertThat(nobody.get("connections").asInt()).isZero();
  }

  // ------------------------------------------------------------------ helpers

  private Answer subscribe(String user, String channel) {
    return new TestApi(http).post("/api/v1/subscribe", Map.of("user", user, "channel", channel));
  }

  private static JsonNode ok(Answer answer) {
    assertThat(answer.status()).as("answer %s", answer.body()).isEqualTo(200);
    return answer.json();
  }

  private TestWebSocketClient.Builder client() {
    return TestWebSocketClient.to(port).codec(codec);
  }

  /** Opens a connection with {@code token} and waits until the node registered it. */
  private TestWebSocketClient connected(TestTokens token) {
    TestWebSocketClient ws = track(client().bearer(token.token()).open());
    // The client sees 101 before the server registered the connection; a reply proves it did.
    // Pushes received before it stay available to the test.
    result(ws.request(1000, Frames.ping(1000)));
    return ws;
  }

  private TestSseClient sseOf(String user, String channel) {
    String token = TestTokens.user(user).token();
    return TestSseClient.to(port).channel(channel).bearer(token).openSubscribed();
  }

  private <T extends AutoCloseable> T track(T client) {
    clients.add(client);
    return client;
  }

  private static JsonNode result(JsonNode reply) {
    assertThat(reply.has("error")).as("an error reply: %s", reply).isFalse();
    return reply.get("result");
  }

  private static void assertError(JsonNode reply, int code) {
    assertThat(reply.get("error").get("code").asInt()).as("reply %s", reply).isEqualTo(code);
  }
}
