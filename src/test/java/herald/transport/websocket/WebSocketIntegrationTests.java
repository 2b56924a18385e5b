package herald.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import herald.support.BackendApi;
import herald.support.Frames;
import herald.support.HeraldIntegrationTest;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * The WebSocket contract (README "The protocol") over real sockets against a node on a random port,
 * on both subprotocols: every test runs on {@code herald.json} and on {@code herald.msgpack} (the
 * client writes and reads JSON; see {@link TestWebSocketClient.Builder#codec}). Every test uses its
 * own channels and users, so tests sharing the node cannot see each other.
 */
@HeraldIntegrationTest
@ParameterizedClass
@ValueSource(strings = {"herald.json", "herald.msgpack"})
class WebSocketIntegrationTests {

  @Parameter String codec;

  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final String RUN = Long.toString(System.nanoTime() % 1_000_000_000L, 36);
  private static final String OTHER_SECRET = "another-secret-another-secret-0123456789";

  @LocalServerPort int port;

  @Autowired WebTestClient web;

  private BackendApi api;
  private final List<TestWebSocketClient> clients = new ArrayList<>();

  @BeforeEach
  void backendApi() {
    api = new BackendApi(web);
  }

  @AfterEach
  void closeClients() {
    clients.forEach(TestWebSocketClient::close);
  }

  // ------------------------------------------------------------------ handshake and connect

  @Test
  void handshakeTokenInAuthorizationHeaderAuthenticatesWithoutConnectFrame() {
    String channel = channel("document");
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("document:*"));

    assertThat(client.subprotocol()).isEqualTo(codec);
    assertThat(result(client.request(1, Frames.subscribe(1, channel))).get("offset").asLong())
        .isZero();
  }

  @Test
  void handshakeTokenInQueryAuthenticatesWithoutConnectFrame() {
    String channel = channel("document");
    String token = TestTokens.user(user("alice")).subscribe("document:*").token();
    TestWebSocketClient client = track(client().token(token).open());

    assertThat(result(client.request(1, Frames.subscribe(1, channel))).get("offset").asLong())
        .isZero();
  }

  @Test
  void connectFrameAuthenticatesAndRepliesClientNodeAndTtl() {
    String channel = channel("document");
    TestWebSocketClient client = openWithoutToken();

    JsonNode connected =
        result(
            client.request(
                1,
                Frames.connect(1, TestTokens.user(user("alice")).subscribe("document:*").token())));

    assertThat(fields(connected)).containsExactlyInAnyOrder("client", "node", "ttl");
    assertThat(connected.get("client").asString()).isNotBlank();
    assertThat(connected.get("node").asString()).isNotBlank();
    assertThat(connected.get("ttl").isIntegralNumber()).isTrue();
    assertThat(connected.get("ttl").asLong()).isBetween(3590L, 3600L);
    assertThat(result(client.request(2, Frames.subscribe(2, channel))).get("offset").asLong())
        .isZero();
  }

  @Test
  void connectFrameWithoutTokenAfterHandshakeTokenRepliesTheSameConnection() {
    TestWebSocketClient client = open(TestTokens.user(user("alice")));

    JsonNode connected = result(client.request(1, Frames.connect(1)));

    assertThat(connected.get("client").asString()).isNotBlank();
    assertThat(connected.get("ttl").asLong()).isBetween(3590L, 3600L);
  }

  @Test
  void secondConnectFrameReplies400AndKeepsTheConnection() {
    TestWebSocketClient client = openWithoutToken();
    String token = TestTokens.user(user("alice")).token();
    result(client.request(1, Frames.connect(1, token)));

    assertError(client.request(2, Frames.connect(2, token)), 2, 400);
    result(client.request(3, Frames.ping(3)));
  }

  @Test
  void anonymousConnectFrameMaySubscribeOnlyInAnonymousNamespaces() {
    TestWebSocketClient client = openWithoutToken();

    JsonNode connected = result(client.request(1, Frames.connect(1)));
    assertThat(connected.get("ttl").isNull()).isTrue();

    assertThat(result(client.request(2, Frames.subscribe(2, channel("public")))).has("epoch"))
        .isTrue();
    assertError(client.request(3, Frames.subscribe(3, channel("document"))), 3, 401);
  }

  @Test
  void requestsBeforeConnectAreRefusedWith401() {
    String channel = channel("public");
    TestWebSocketClient client = openWithoutToken();

    assertError(client.request(1, Frames.subscribe(1, channel)), 1, 401);
    assertError(client.request(2, Frames.publish(2, channel, "hi")), 2, 401);
    assertError(client.request(3, Frames.history(3, channel)), 3, 401);
    assertError(client.request(4, Frames.presence(4, channel)), 4, 401);
    assertError(client.request(5, Frames.ping(5)), 5, 401);

    // Refusing a request is not refusing the connection: connect still works afterwards.
    result(client.request(6, Frames.connect(6)));
    result(client.request(7, Frames.subscribe(7, channel)));
  }

  static Stream<Arguments> badTokens() {
    return Stream.of(
        arguments("expired", TestTokens.user("alice").subscribe("*").expired().token()),
        arguments(
            "signed with another key", TestTokens.user("alice").signedWith(OTHER_SECRET).token()),
        arguments("alg none", TestTokens.user("alice").subscribe("*").unsignedToken()),
        arguments("malformed", "not-a-jwt"),
        arguments("without sub", TestTokens.user("").token()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokens")
  void badHandshakeTokenInQueryIsRefusedWith401(String kind, String token) {
    assertThat(client().token(token).refusedStatus()).isEqualTo(401);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokens")
  void badHandshakeTokenInAuthorizationHeaderIsRefusedWith401(String kind, String token) {
    assertThat(client().bearer(token).refusedStatus()).isEqualTo(401);
  }

  @Test
  void emptyHandshakeTokenIsRefusedWith401() {
    assertThat(client().token("").refusedStatus()).isEqualTo(401);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokens")
  void badTokenInConnectFrameRepliesErrorThenClosesWith4001(String kind, String token) {
    TestWebSocketClient client = openWithoutToken();

    assertError(client.request(1, Frames.connect(1, token)), 1, 401);
    JsonNode disconnect = client.push("disconnect");
    assertThat(disconnect.get("code").asInt()).isEqualTo(4001);
    assertThat(client.closeStatus().code()).isEqualTo(4001);
  }

  @Test
  void crossOriginHandshakeIsRefusedWith403() {
    assertThat(client().origin("http://evil.example").refusedStatus()).isEqualTo(403);
  }

  @Test
  void sameOriginHandshakeIsAccepted() {
    TestWebSocketClient client = track(client().origin("http://127.0.0.1:" + port).open());

    assertThat(client.handshakeRequestHeaders().get("Origin"))
        .isEqualTo("http://127.0.0.1:" + port);
    assertError(client.request(1, Frames.ping(1)), 1, 401);
  }

  @Test
  void handshakeWithoutOriginIsAccepted() {
    TestWebSocketClient client = openWithoutToken();

    assertThat(client.handshakeRequestHeaders().contains("Origin")).isFalse();
    assertError(client.request(1, Frames.ping(1)), 1, 401);
  }

  @Test
  void handshakeWithoutSubprotocolSpeaksJson() {
    TestWebSocketClient client =
        track(TestWebSocketClient.to(port).bearer(TestTokens.user(user("alice")).token()).open());

    assertThat(client.subprotocol()).isNull();
    assertThat(fields(result(client.request(1, Frames.ping(1))))).isEmpty();
  }

  // ------------------------------------------------------------------ subscribe

  @Test
  void subscribeRepliesEpochLatestOffsetAndRecoveredFalseWithoutReplay() {
    String channel = channel("document");
    api.publish(channel, Map.of("n", 1));
    String epoch = api.publish(channel, Map.of("n", 2)).get("epoch").asString();
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("document:*"));

    JsonNode subscribed = result(client.request(1, Frames.subscribe(1, channel)));

    assertThat(fields(subscribed)).containsExactlyInAnyOrder("epoch", "offset", "recovered");
    assertThat(subscribed.get("epoch").asString()).isEqualTo(epoch);
    assertThat(subscribed.get("offset").asLong()).isEqualTo(2);
    assertThat(subscribed.get("recovered").asBoolean()).isFalse();
    assertThat(client.send(Frames.ping(2)).framesBefore(2)).isEmpty();
  }

  @Test
  void subscribingTwiceRepliesAlreadySubscribed() {
    String channel = channel("document");
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("document:*"));

    result(client.request(1, Frames.subscribe(1, channel)));

    assertError(client.request(2, Frames.subscribe(2, channel)), 2, 409);
  }

  @Test
  void subscribingToAChannelTheTokenDoesNotPermitReplies403() {
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("document:7"));

    assertError(client.request(1, Frames.subscribe(1, channel("document"))), 1, 403);
    assertError(client.request(2, Frames.subscribe(2, channel("secret"))), 2, 403);
  }

  @Test
  void personalChannelIsAlwaysPermittedToItsUserOnly() {
    String alice = user("alice");
    TestWebSocketClient client = open(TestTokens.user(alice));

    result(client.request(1, Frames.subscribe(1, "user:" + alice)));

    assertError(client.request(2, Frames.subscribe(2, "user:" + user("bob"))), 2, 403);
    assertError(client.request(3, Frames.subscribe(3, "user:" + alice + "x")), 3, 403);
  }

  // ------------------------------------------------------------------ publish and pushes

  @Test
  void clientPublishRepliesOffsetAndPushesTheSpecMessageWithFrom() {
    String channel = channel("chat");
    String alice = user("alice");
    TestWebSocketClient publisher =
        open(TestTokens.user(alice).subscribe("chat:*").publish("chat:*"));
    TestWebSocketClient reader = open(TestTokens.user(user("bob")).subscribe("chat:*"));
    String epoch = result(reader.request(1, Frames.subscribe(1, channel))).get("epoch").asString();

    long before = System.currentTimeMillis();
    JsonNode published =
        result(publisher.request(1, Frames.publish(1, channel, Map.of("text", "hello"))));
    long after = System.currentTimeMillis();

    assertThat(fields(published)).containsExactly("offset");
    assertThat(published.get("offset").asLong()).isEqualTo(1);
    JsonNode message = reader.push("message");
    assertThat(fields(message))
        .containsExactlyInAnyOrder("type", "channel", "offset", "epoch", "data", "ts", "from");
    assertThat(message.get("channel").asString()).isEqualTo(channel);
    assertThat(message.get("offset").asLong()).isEqualTo(1);
    assertThat(message.get("epoch").asString()).isEqualTo(epoch);
    assertThat(message.get("data")).isEqualTo(Frames.json(Map.of("text", "hello")));
    assertThat(message.get("ts").asLong()).isBetween(before, after);
    assertThat(message.get("from").asString()).isEqualTo(alice);
  }

  @Test
  void backendPublicationIsPushedWithoutFrom() {
    String channel = channel("document");
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("document:*"));
    result(client.request(1, Frames.subscribe(1, channel)));

    JsonNode published = api.publish(channel, List.of(1, "two", Map.of("three", 3)));

    JsonNode message = client.push("message");
    assertThat(fields(message))
        .containsExactlyInAnyOrder("type", "channel", "offset", "epoch", "data", "ts");
    assertThat(message.get("offset").asLong()).isEqualTo(published.get("offset").asLong());
    assertThat(message.get("epoch").asString()).isEqualTo(published.get("epoch").asString());
    assertThat(message.get("data")).isEqualTo(Frames.json(List.of(1, "two", Map.of("three", 3))));
  }

  @Test
  void publishWithoutPublishPermissionReplies403() {
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("chat:*"));

    assertError(client.request(1, Frames.publish(1, channel("chat"), "hi")), 1, 403);
  }

  @Test
  void publishInNamespaceWithoutClientPublishReplies403() {
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("*").publish("*"));

    assertError(client.request(1, Frames.publish(1, channel("document"), "hi")), 1, 403);
  }

  @Test
  void publishOfJustUnder64KibIsAccepted() {
    TestWebSocketClient client = open(TestTokens.user(user("alice")).publish("chat:*"));

    JsonNode published =
        result(client.request(1, Frames.publish(1, channel("chat"), "x".repeat(60 * 1024))));

    assertThat(published.get("offset").asLong()).isEqualTo(1);
  }

  @Test
  void unsubscribeRepliesEmptyAndStopsDeliveries() {
    String channel = channel("document");
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("document:*"));
    result(client.request(1, Frames.subscribe(1, channel)));

    assertThat(fields(result(client.request(2, Frames.unsubscribe(2, channel))))).isEmpty();
    api.publish(channel, "after unsubscribe");

    assertThat(client.send(Frames.ping(3)).framesBefore(3)).isEmpty();
    // Released on the server too: subscribing again is not a 409.
    result(client.request(4, Frames.subscribe(4, channel)));
  }

  // ------------------------------------------------------------------ history, presence, refresh,
  // ping

  @Test
  void historyRepliesPublicationsWithSinceAndLimit() {
    String channel = channel("document");
    String epoch = "";
    for (int n = 1; n <= 5; n++) {
      epoch = api.publish(channel, Map.of("n", n)).get("epoch").asString();
    }
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("document:*"));

    JsonNode all = result(client.request(1, Frames.history(1, channel)));
    assertThat(all.get("offset").asLong()).isEqualTo(5);
    assertThat(all.get("epoch").asString()).isEqualTo(epoch);
    assertThat(offsets(all.get("publications"))).containsExactly(1L, 2L, 3L, 4L, 5L);
    JsonNode first = all.get("publications").get(0);
    assertThat(fields(first)).containsExactlyInAnyOrder("channel", "offset", "epoch", "data", "ts");
    assertThat(first.get("data")).isEqualTo(Frames.json(Map.of("n", 1)));

    JsonNode since = result(client.request(2, Frames.history(2, channel, 2L, epoch, null)));
    assertThat(offsets(since.get("publications"))).containsExactly(3L, 4L, 5L);

    JsonNode limited = result(client.request(3, Frames.history(3, channel, null, null, 2)));
    assertThat(offsets(limited.get("publications"))).containsExactly(1L, 2L);

    JsonNode both = result(client.request(4, Frames.history(4, channel, 2L, epoch, 2)));
    assertThat(offsets(both.get("publications"))).containsExactly(3L, 4L);
  }

  @Test
  void historyKeepsOnlyTheNamespacesHistorySize() {
    String channel = channel("short");
    for (int n = 1; n <= 5; n++) {
      api.publish(channel, n);
    }
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("short:*"));

    JsonNode history = result(client.request(1, Frames.history(1, channel)));

    assertThat(offsets(history.get("publications"))).containsExactly(3L, 4L, 5L);
    assertThat(history.get("offset").asLong()).isEqualTo(5);
  }

  @Test
  void historyOfAChannelNotPermittedReplies403() {
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("chat:*"));

    assertError(client.request(1, Frames.history(1, channel("document"))), 1, 403);
  }

  @Test
  void presenceListsEverySubscribedConnection() {
    String channel = channel("document");
    String alice = user("alice");
    String bob = user("bob");
    TestWebSocketClient first = openWithoutToken();
    TestWebSocketClient second = openWithoutToken();
    JsonNode a =
        result(
            first.request(
                1, Frames.connect(1, TestTokens.user(alice).subscribe("document:*").token())));
    JsonNode b =
        result(
            second.request(
                1, Frames.connect(1, TestTokens.user(bob).subscribe("document:*").token())));
    result(first.request(2, Frames.subscribe(2, channel)));
    result(second.request(2, Frames.subscribe(2, channel)));

    JsonNode presence = result(first.request(3, Frames.presence(3, channel)));

    assertThat(fields(presence)).containsExactly("clients");
    assertThat(presence.get("clients").valueStream().map(WebSocketIntegrationTests::clientInfo))
        .containsExactlyInAnyOrder(
            alice + "/" + a.get("client").asString() + "/" + a.get("node").asString(),
            bob + "/" + b.get("client").asString() + "/" + b.get("node").asString());
  }

  @ParameterizedTest
  @ValueSource(strings = {"document*", "user*", "org:*:x"})
  void aTokenWithAMalformedChannelPatternIsRefusedWith401(String pattern) {
    String token = TestTokens.user(user("alice")).subscribe(pattern).token();

    assertThat(client().bearer(token).refusedStatus()).as("handshake").isEqualTo(401);
    TestWebSocketClient client = openWithoutToken();
    assertError(client.request(1, Frames.connect(1, token)), 1, 401);
  }

  @Test
  void refreshRepliesTheNewTtl() {
    String alice = user("alice");
    TestWebSocketClient client = open(TestTokens.user(alice));

    JsonNode refreshed =
        result(
            client.request(
                1,
                Frames.refresh(1, TestTokens.user(alice).expiresIn(Duration.ofHours(2)).token())));

    assertThat(fields(refreshed)).containsExactly("ttl");
    assertThat(refreshed.get("ttl").asLong()).isBetween(7190L, 7200L);
  }

  @Test
  void refreshWithAnInvalidTokenReplies401AndKeepsTheConnection() {
    TestWebSocketClient client = open(TestTokens.user(user("alice")));

    assertError(
        client.request(1, Frames.refresh(1, TestTokens.user("alice").expired().token())), 1, 401);
    result(client.request(2, Frames.ping(2)));
  }

  @Test
  void refreshWithAnotherUsersTokenReplies403() {
    TestWebSocketClient client = open(TestTokens.user(user("alice")));

    assertError(
        client.request(
            1, Frames.refresh(1, TestTokens.user(user("mallory")).subscribe("*").token())),
        1,
        403);
  }

  @Test
  void refreshOfAnAnonymousConnectionKeepsItReachableByTheBackendApi() {
    String alice = user("alice");
    TestWebSocketClient client = openWithoutToken();
    result(client.request(1, Frames.connect(1)));

    result(client.request(2, Frames.refresh(2, TestTokens.user(alice).token())));

    // Whoever the connection now is, a backend acting on that user must reach it.
    assertThat(api.disconnect(alice, true).get("connections").asInt()).isEqualTo(1);
    assertThat(client.closeStatus().code()).isEqualTo(1012);
  }

  @Test
  void refreshWithNarrowerClaimsRevokesTheChannelsItNoLongerPermits() {
    String alice = user("alice");
    String kept = channel("news");
    String dropped = channel("document");
    TestWebSocketClient client = open(TestTokens.user(alice).subscribe("news:*", "document:*"));
    result(client.request(1, Frames.subscribe(1, kept)));
    result(client.request(2, Frames.subscribe(2, dropped)));

    result(
        client.request(3, Frames.refresh(3, TestTokens.user(alice).subscribe("news:*").token())));

    JsonNode revoked = client.push("unsubscribe");
    assertThat(revoked.get("channel").asString()).isEqualTo(dropped);
    assertThat(revoked.get("reason").asString()).isNotBlank();
    api.publish(dropped, Map.of("n", 1));
    api.publish(kept, Map.of("n", 2));
    assertThat(client.push("message").get("channel").asString())
        .as("the dropped channel no longer delivers; the kept one does")
        .isEqualTo(kept);
  }

  @Test
  void pingRepliesEmptyResult() {
    TestWebSocketClient client = open(TestTokens.user(user("alice")));

    JsonNode reply = client.request(7, Frames.ping(7));

    assertThat(fields(reply)).containsExactlyInAnyOrder("id", "result");
    assertThat(fields(reply.get("result"))).isEmpty();
  }

  // ------------------------------------------------------------------ recovery

  @Test
  void resubscribeWithSinceRecoversExactlyTheMissedPublicationsBeforeLiveOnes() {
    String channel = channel("document");
    String token = TestTokens.user(user("alice")).subscribe("document:*").token();
    TestWebSocketClient first = track(client().bearer(token).open());
    String epoch = result(first.request(1, Frames.subscribe(1, channel))).get("epoch").asString();
    api.publish(channel, Map.of("n", 1));
    assertThat(first.push("message").get("offset").asLong()).isEqualTo(1);
    first.close();

    for (int n = 2; n <= 4; n++) {
      assertThat(api.publish(channel, Map.of("n", n)).get("offset").asLong()).isEqualTo(n);
    }
    TestWebSocketClient second = track(client().bearer(token).open());
    JsonNode subscribed = result(second.request(1, Frames.subscribe(1, channel, 1, epoch)));
    api.publish(channel, Map.of("n", 5));

    assertThat(subscribed.get("recovered").asBoolean()).isTrue();
    assertThat(subscribed.get("epoch").asString()).isEqualTo(epoch);
    assertThat(subscribed.get("offset").asLong()).isEqualTo(4);
    List<JsonNode> frames = second.send(Frames.ping(2)).framesBefore(2);
    assertThat(frames)
        .allSatisfy(frame -> assertThat(frame.get("type").asString()).isEqualTo("message"));
    assertThat(offsets(frames)).containsExactly(2L, 3L, 4L, 5L);
    assertThat(frames.stream().map(frame -> frame.get("data").get("n").asLong()))
        .containsExactly(2L, 3L, 4L, 5L);
  }

  @Test
  void livePublicationsRacingARecoveryArriveOnceInOrderAfterTheReply() {
    String channel = channel("document");
    String epoch = api.publish(channel, 1).get("epoch").asString();
    api.publish(channel, 2);
    api.publish(channel, 3);
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("document:*"));

    client.send(Frames.subscribe(1, channel, 1, epoch));
    for (int n = 4; n <= 8; n++) {
      api.publish(channel, n);
    }
    List<JsonNode> frames = client.send(Frames.ping(2)).framesBefore(2);

    assertThat(frames).isNotEmpty();
    JsonNode subscribed = result(frames.get(0));
    assertThat(frames.get(0).get("id").asLong()).isEqualTo(1);
    assertThat(subscribed.get("recovered").asBoolean()).isTrue();
    assertThat(subscribed.get("offset").asLong()).isBetween(3L, 8L);
    assertThat(offsets(frames.subList(1, frames.size())))
        .containsExactly(2L, 3L, 4L, 5L, 6L, 7L, 8L);
  }

  @Test
  void subscribeSinceTheLatestOffsetRecoversWithNothingToReplay() {
    String channel = channel("document");
    api.publish(channel, 1);
    String epoch = api.publish(channel, 2).get("epoch").asString();
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("document:*"));

    JsonNode subscribed = result(client.request(1, Frames.subscribe(1, channel, 2, epoch)));

    assertThat(subscribed.get("recovered").asBoolean()).isTrue();
    assertThat(client.send(Frames.ping(2)).framesBefore(2)).isEmpty();
  }

  @Test
  void subscribeSinceAnotherEpochRepliesRecoveredFalseWithoutReplay() {
    String channel = channel("document");
    api.publish(channel, 1);
    String epoch = api.publish(channel, 2).get("epoch").asString();
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("document:*"));

    JsonNode subscribed =
        result(client.request(1, Frames.subscribe(1, channel, 1, "not-" + epoch)));

    assertThat(subscribed.get("recovered").asBoolean()).isFalse();
    assertThat(subscribed.get("epoch").asString()).isEqualTo(epoch);
    assertThat(subscribed.get("offset").asLong()).isEqualTo(2);
    assertThat(client.send(Frames.ping(2)).framesBefore(2)).isEmpty();
  }

  @Test
  void subscribeSinceAnOffsetOutsideTheHistoryWindowRepliesRecoveredFalse() {
    String channel = channel("short");
    String epoch = "";
    for (int n = 1; n <= 5; n++) {
      epoch = api.publish(channel, n).get("epoch").asString();
    }
    TestWebSocketClient client = open(TestTokens.user(user("alice")).subscribe("short:*"));

    JsonNode subscribed = result(client.request(1, Frames.subscribe(1, channel, 1, epoch)));

    assertThat(subscribed.get("recovered").asBoolean()).isFalse();
    assertThat(subscribed.get("offset").asLong()).isEqualTo(5);
    assertThat(client.send(Frames.ping(2)).framesBefore(2)).isEmpty();
  }

  // ------------------------------------------------------------------ join and leave

  @Test
  void joinAndLeaveArePushedInJoinLeaveNamespaces() {
    String channel = channel("chat");
    String bob = user("bob");
    TestWebSocketClient watcher = open(TestTokens.user(user("alice")).subscribe("chat:*"));
    result(watcher.request(1, Frames.subscribe(1, channel)));
    TestWebSocketClient joiner = openWithoutToken();
    String bobClient =
        result(
                joiner.request(
                    1, Frames.connect(1, TestTokens.user(bob).subscribe("chat:*").token())))
            .get("client")
            .asString();

    result(joiner.request(2, Frames.subscribe(2, channel)));
    JsonNode join = watcher.push("join", frame -> bobClient.equals(frame.get("client").asString()));
    joiner.close();
    JsonNode leave =
        watcher.push("leave", frame -> bobClient.equals(frame.get("client").asString()));

    for (JsonNode push : List.of(join, leave)) {
      assertThat(fields(push)).containsExactlyInAnyOrder("type", "channel", "user", "client");
      assertThat(push.get("channel").asString()).isEqualTo(channel);
      assertThat(push.get("user").asString()).isEqualTo(bob);
    }
  }

  @Test
  void noJoinPushesWhereJoinLeaveIsOff() {
    String channel = channel("document");
    TestWebSocketClient watcher = open(TestTokens.user(user("alice")).subscribe("document:*"));
    result(watcher.request(1, Frames.subscribe(1, channel)));
    TestWebSocketClient joiner = open(TestTokens.user(user("bob")).subscribe("document:*"));

    result(joiner.request(1, Frames.subscribe(1, channel)));

    assertThat(watcher.send(Frames.ping(2)).framesBefore(2)).isEmpty();
  }

  // ------------------------------------------------------------------ malformed input and limits

  static Stream<Arguments> malformedFrames() {
    return Stream.of(
        arguments("not JSON", "{\"id\":1,\"op\":", 0),
        arguments("empty", "", 0),
        arguments("not an object", "[1,2,3]", 0),
        arguments("missing id", "{\"op\":\"ping\"}", 0),
        arguments("id of the wrong type", "{\"id\":\"9\",\"op\":\"ping\"}", 0),
        arguments("negative id", "{\"id\":-4,\"op\":\"ping\"}", 0),
        arguments("missing op", "{\"id\":10}", 10),
        arguments("unknown op", "{\"id\":11,\"op\":\"shout\"}", 11),
        arguments("unknown field", "{\"id\":12,\"op\":\"ping\",\"extra\":true}", 12),
        arguments(
            "channel of the wrong type", "{\"id\":13,\"op\":\"subscribe\",\"channel\":42}", 13),
        arguments("bad channel name", "{\"id\":14,\"op\":\"subscribe\",\"channel\":\"a b\"}", 14),
        arguments(
            "since of the wrong type",
            "{\"id\":15,\"op\":\"subscribe\",\"channel\":\"document:1\",\"since\":\"now\"}",
            15),
        arguments(
            "limit of the wrong type",
            "{\"id\":16,\"op\":\"history\",\"channel\":\"document:1\",\"limit\":\"all\"}",
            16),
        arguments(
            "publish without data", "{\"id\":17,\"op\":\"publish\",\"channel\":\"chat:1\"}", 17),
        arguments("refresh without token", "{\"id\":18,\"op\":\"refresh\"}", 18),
        arguments("id out of range", "{\"id\":99999999999999999999999,\"op\":\"ping\"}", 0),
        arguments("fractional id", "{\"id\":1.5,\"op\":\"ping\"}", 0),
        arguments(
            "since offset out of range",
            "{\"id\":20,\"op\":\"subscribe\",\"channel\":\"document:1\","
                + "\"since\":{\"offset\":99999999999999999999999,\"epoch\":\"e\"}}",
            20),
        arguments(
            "limit out of range",
            "{\"id\":21,\"op\":\"history\",\"channel\":\"document:1\","
                + "\"limit\":99999999999999999999999}",
            21),
        arguments(
            "deep nesting",
            "{\"id\":19,\"op\":\"publish\",\"channel\":\"chat:1\",\"data\":"
                + "[".repeat(200)
                + "]".repeat(200)
                + "}",
            0));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedFrames")
  void malformedFrameGetsA400ReplyAndNoOtherConnectionNotices(
      String kind, String frame, long replyId) {
    String channel = channel("document");
    TestWebSocketClient bystander = open(TestTokens.user(user("bob")).subscribe("document:*"));
    result(bystander.request(1, Frames.subscribe(1, channel)));
    TestWebSocketClient offender =
        open(TestTokens.user(user("mallory")).subscribe("*").publish("*"));

    offender.send(frame);

    assertError(offender.reply(replyId), replyId, 400);
    api.publish(channel, "still flowing");
    assertThat(bystander.push("message").get("data").asString()).isEqualTo("still flowing");
    // The offender's connection survives its bad frame.
    result(offender.request(99, Frames.ping(99)));
  }

  @Test
  void aFrameOfTheOtherKindClosesWith4400() {
    TestWebSocketClient client = open(TestTokens.user(user("alice")));

    if (codec.equals("herald.json")) {
      client.sendBinary(new byte[] {(byte) 0x82, 0x01, 0x02});
    } else {
      client.sendText("{\"id\":1,\"op\":\"ping\"}".getBytes(StandardCharsets.UTF_8));
    }

    JsonNode disconnect = client.push("disconnect");
    assertThat(disconnect.get("code").asInt()).isEqualTo(4400);
    assertThat(disconnect.get("reconnect").asBoolean()).isFalse();
    assertThat(client.closeStatus().code()).isEqualTo(4400);
  }

  @Test
  void frameLargerThan64KibClosesWith1009() {
    TestWebSocketClient client = open(TestTokens.user(user("alice")).publish("chat:*"));

    client.send(Frames.publish(1, channel("chat"), "x".repeat(64 * 1024)));

    assertThat(client.closeStatus().code()).isEqualTo(1009);
  }

  // ------------------------------------------------------------------ backend API acting on
  // connections

  @Test
  void backendDisconnectPushesDisconnectThenClosesWith1012() {
    String alice = user("alice");
    TestWebSocketClient client = open(TestTokens.user(alice));
    // The client sees 101 before the server registered the connection; a reply proves it did.
    result(client.request(1, Frames.ping(1)));

    assertThat(api.disconnect(alice, true).get("connections").asInt()).isEqualTo(1);

    JsonNode disconnect = client.push("disconnect");
    assertThat(fields(disconnect)).containsExactlyInAnyOrder("type", "code", "reason", "reconnect");
    assertThat(disconnect.get("code").asInt()).isEqualTo(1012);
    assertThat(disconnect.get("reason").asString()).isNotBlank();
    assertThat(disconnect.get("reconnect").asBoolean()).isTrue();
    assertThat(client.closeStatus().code()).isEqualTo(1012);
  }

  @Test
  void backendDisconnectWithoutReconnectClosesWith4003() {
    String alice = user("alice");
    TestWebSocketClient client = open(TestTokens.user(alice));
    // The client sees 101 before the server registered the connection; a reply proves it did.
    result(client.request(1, Frames.ping(1)));

    api.disconnect(alice, false);

    JsonNode disconnect = client.push("disconnect");
    assertThat(disconnect.get("code").asInt()).isEqualTo(4003);
    assertThat(disconnect.get("reconnect").asBoolean()).isFalse();
    assertThat(client.closeStatus().code()).isEqualTo(4003);
  }

  @Test
  void backendDisconnectReachesConnectionsAuthenticatedByConnectFrame() {
    String alice = user("alice");
    TestWebSocketClient client = openWithoutToken();
    result(client.request(1, Frames.connect(1, TestTokens.user(alice).token())));

    assertThat(api.disconnect(alice, true).get("connections").asInt()).isEqualTo(1);

    assertThat(client.closeStatus().code()).isEqualTo(1012);
  }

  @Test
  void backendUnsubscribePushesUnsubscribeAndStopsDeliveries() {
    String alice = user("alice");
    String channel = channel("document");
    TestWebSocketClient client = open(TestTokens.user(alice).subscribe("document:*"));
    result(client.request(1, Frames.subscribe(1, channel)));

    assertThat(api.unsubscribe(alice, channel).get("connections").asInt()).isEqualTo(1);

    JsonNode unsubscribe = client.push("unsubscribe");
    assertThat(fields(unsubscribe)).containsExactlyInAnyOrder("type", "channel", "reason");
    assertThat(unsubscribe.get("channel").asString()).isEqualTo(channel);
    assertThat(unsubscribe.get("reason").asString()).isNotBlank();
    api.publish(channel, "after revoke");
    assertThat(client.send(Frames.ping(2)).framesBefore(2)).isEmpty();
    result(client.request(3, Frames.subscribe(3, channel)));
  }

  // ------------------------------------------------------------------ helpers

  private TestWebSocketClient.Builder client() {
    return TestWebSocketClient.to(port).codec(codec);
  }

  private TestWebSocketClient open(TestTokens token) {
    return track(client().bearer(token.token()).open());
  }

  private TestWebSocketClient openWithoutToken() {
    return track(client().open());
  }

  private TestWebSocketClient track(TestWebSocketClient client) {
    clients.add(client);
    return client;
  }

  private static String channel(String namespace) {
    return namespace + ":" + RUN + "-" + SEQUENCE.incrementAndGet();
  }

  private static String user(String name) {
    return name + "-" + RUN + "-" + SEQUENCE.incrementAndGet();
  }

  /** The result of a successful reply. */
  static JsonNode result(JsonNode reply) {
    assertThat(reply.has("error")).as("an error reply: %s", reply).isFalse();
    assertThat(fields(reply)).as("reply %s", reply).containsExactlyInAnyOrder("id", "result");
    return reply.get("result");
  }

  static void assertError(JsonNode reply, long id, int code) {
    assertThat(fields(reply)).as("reply %s", reply).containsExactlyInAnyOrder("id", "error");
    assertThat(reply.get("id").asLong()).isEqualTo(id);
    JsonNode error = reply.get("error");
    assertThat(fields(error)).containsExactlyInAnyOrder("code", "message");
    assertThat(error.get("code").asInt()).as("reply %s", reply).isEqualTo(code);
    assertThat(error.get("message").asString()).isNotBlank();
  }

  static List<String> fields(JsonNode node) {
    return List.copyOf(node.propertyNames());
  }

  static List<Long> offsets(Iterable<JsonNode> publications) {
    List<Long> offsets = new ArrayList<>();
    publications.forEach(publication -> offsets.add(publication.get("offset").asLong()));
    return offsets;
  }

  private static String clientInfo(JsonNode client) {
    assertThat(fields(client)).containsExactlyInAnyOrder("user", "client", "node");
    return client.get("user").asString()
        + "/"
        + client.get("client").asString()
        + "/"
        + client.get("node").asString();
  }
}
