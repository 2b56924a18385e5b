package herald.transport.sse;

import static org.assertj.core.api.Assertions.assertThat;

import herald.channel.ChannelName;
import herald.channel.StreamPosition;
import herald.support.HeraldIntegrationTest;
import herald.support.TestApi;
import herald.support.TestIds;
import herald.support.TestSseClient;
import herald.support.TestSseClient.Event;
import herald.support.TestTokens;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * {@code GET /sse} over real sockets: the stream's shape, resume, and refusals (README "The
 * protocol").
 */
@HeraldIntegrationTest
class SseIntegrationTests {

  private static final String OTHER_SECRET = "another-secret-another-secret-0123456789";

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  private TestApi api;
  private String run;

  @BeforeEach
  void setUp() {
    api = new TestApi(http);
    // Channels and users are unique per test: the context, and so the engine, is shared.
    run = TestIds.next("sse");
  }

  @Test
  void streamAnswersWithEventStreamHeadersThenRetryThenAnIdOnlyBlock() {
    String token = TestTokens.user("alice").subscribe("document:*").token();
    try (TestSseClient sse =
        TestSseClient.to(port).channel("document:" + run).bearer(token).open()) {
      assertThat(sse.status()).isEqualTo(200);
      assertThat(sse.headers().get("Content-Type")).startsWith("text/event-stream");
      assertThat(sse.headers().getAll("Cache-Control")).containsExactly("no-cache");
      assertThat(sse.headers().get("X-Accel-Buffering")).isEqualTo("no");

      Event retry = sse.next();
      assertThat(retry.retry()).as("first block %s", retry).isEqualTo(3000L);
      assertThat(retry.event()).isNull();
      assertThat(retry.data()).isNull();

      Event subscribed = sse.next();
      assertThat(subscribed.idOnly()).as("second block %s", subscribed).isTrue();
      assertThat(subscribed.id()).isNotBlank();
    }
  }

  @Test
  void messageEventCarriesACursorIdAndThePublicationJsonOfTheSpec() {
    String channel = "document:" + run;
    String token = TestTokens.user("alice").subscribe("document:*").token();
    try (TestSseClient sse =
        TestSseClient.to(port).channel(channel).bearer(token).openSubscribed()) {
      String subscribedId = sse.lastEventId();
      long before = System.currentTimeMillis();
      JsonNode first = api.publish(channel, Map.of("text", "line one\nline two é", "n", 1));
      long after = System.currentTimeMillis();

      Event message = sse.nextMessage();
      assertThat(message.id()).matches("[A-Za-z0-9_-]+").isNotEqualTo(subscribedId);
      String epoch = first.get("epoch").asString();
      assertThat(message.data())
          .as("publication JSON exactly as README 'The protocol' shows it (no 'from' for backends)")
          .matches(
              Pattern.quote(
                      "{\"channel\":\""
                          + channel
                          + "\",\"offset\":1,\"epoch\":\""
                          + epoch
                          + "\",\"data\":{")
                  + ".*"
                  + Pattern.quote("},\"ts\":")
                  + "\\d+\\}");
      JsonNode publication = TestApi.json().readTree(message.data());
      assertThat(publication.propertyNames())
          .containsExactly("channel", "offset", "epoch", "data", "ts");
      assertThat(publication.get("offset").asLong()).isEqualTo(first.get("offset").asLong());
      assertThat(publication.get("data").get("text").asString()).isEqualTo("line one\nline two é");
      assertThat(publication.get("data").get("n").asInt()).isEqualTo(1);
      assertThat(publication.get("ts").asLong()).isBetween(before, after);

      api.publish(channel, Map.of("n", 2));
      Event second = sse.nextMessage();
      assertThat(second.id()).isNotEqualTo(message.id());
      assertThat(TestApi.json().readTree(second.data()).get("offset").asLong()).isEqualTo(2);
    }
  }

  @Test
  void oneStreamCarriesEveryChannelItNames() {
    String a = "document:" + run + "-a";
    String b = "document:" + run + "-b";
    String token = TestTokens.user("alice").subscribe("document:*").token();
    try (TestSseClient sse = TestSseClient.to(port).channel(a, b).bearer(token).openSubscribed()) {
      api.publish(a, Map.of("n", 1));
      api.publish(b, Map.of("n", 1));
      api.publish(a, Map.of("n", 2));

      List<String> received = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        JsonNode publication = TestApi.json().readTree(sse.nextMessage().data());
        received.add(publication.get("channel").asString() + "#" + publication.get("offset"));
      }
      assertThat(received).containsExactly(a + "#1", b + "#1", a + "#2");
    }
  }

  @Test
  void resumeWithLastEventIdHeaderReplaysWhatEveryChannelMissedThenGoesLive() {
    resumeReplaysEveryMissedPublicationOnceThenGoesLive(TestSseClient.Request::lastEventId);
  }

  @Test
  void resumeWithLastEventIdParameterReplaysWhatEveryChannelMissedThenGoesLive() {
    resumeReplaysEveryMissedPublicationOnceThenGoesLive(
        TestSseClient.Request::lastEventIdParameter);
  }

  /**
   * Reads 4 of 6 publications on 3 channels, disconnects, lets 5 more be published, and resumes
   * from the last id read: the 2 unread and the 5 new arrive, each once, in offset order per
   * channel, then the stream is live.
   */
  private void resumeReplaysEveryMissedPublicationOnceThenGoesLive(
      BiFunction<TestSseClient.Request, String, TestSseClient.Request> resumeFrom) {
    String a = "feed:" + run + "-a";
    String b = "feed:" + run + "-b";
    String c = "feed:" + run + "-c";
    String token = TestTokens.user("reader-" + run).subscribe("feed:*").token();
    Map<String, String> epochs = new LinkedHashMap<>();

    String cursor;
    try (TestSseClient first =
        TestSseClient.to(port).channel(a, b, c).bearer(token).openSubscribed()) {
      for (int round = 1; round <= 2; round++) {
        for (String channel : List.of(a, b, c)) {
          epochs.put(channel, publishNumbered(channel, round));
        }
      }
      assertThat(readMessages(first, 4)).containsExactly(a + "#1", b + "#1", c + "#1", a + "#2");
      cursor = first.lastEventId();
    }
    assertThat(cursor).isNotNull();

    publishNumbered(a, 3);
    publishNumbered(b, 3);
    publishNumbered(c, 3);
    publishNumbered(b, 4);
    publishNumbered(c, 4);

    TestSseClient.Request request = TestSseClient.to(port).channel(a, b, c).bearer(token);
    try (TestSseClient resumed = resumeFrom.apply(request, cursor).open()) {
      assertThat(resumed.status()).isEqualTo(200);
      assertThat(resumed.next().retry()).isNotNull();

      List<JsonNode> replay = messagesUntilIdOnlyBlock(resumed);
      assertThat(replay)
          .as("every missed publication exactly once")
          .extracting(p -> p.get("channel").asString() + "#" + p.get("offset").asLong())
          .containsExactlyInAnyOrder(
              b + "#2", c + "#2", a + "#3", b + "#3", c + "#3", b + "#4", c + "#4");
      assertThat(offsetsOf(replay, a)).containsExactly(3L);
      assertThat(offsetsOf(replay, b)).as("offset order kept").containsExactly(2L, 3L, 4L);
      assertThat(offsetsOf(replay, c)).as("offset order kept").containsExactly(2L, 3L, 4L);
      for (JsonNode publication : replay) {
        String channel = publication.get("channel").asString();
        assertThat(publication.get("epoch").asString()).isEqualTo(epochs.get(channel));
        assertThat(publication.get("data").get("n").asLong())
            .isEqualTo(publication.get("offset").asLong());
      }

      publishNumbered(a, 4);
      publishNumbered(b, 5);
      publishNumbered(c, 5);
      assertThat(readMessages(resumed, 3))
          .as("then live, without a duplicate of the replay")
          .containsExactly(a + "#4", b + "#5", c + "#5");
    }
  }

  @Test
  void resumeBeyondTheHistoryWindowSendsResetForThatChannelAndReplaysTheOthers() {
    String lossy = "short:" + run;
    String kept = "feed:" + run;
    String token = TestTokens.user("reader-" + run).subscribe("short:*", "feed:*").token();

    String cursor;
    try (TestSseClient first =
        TestSseClient.to(port).channel(lossy, kept).bearer(token).openSubscribed()) {
      publishNumbered(lossy, 1);
      publishNumbered(kept, 1);
      assertThat(readMessages(first, 2)).containsExactly(lossy + "#1", kept + "#1");
      cursor = first.lastEventId();
    }
    // short keeps 3 publications: after 5 more it holds 4..6, so 2 and 3 are lost.
    for (int n = 2; n <= 6; n++) {
      publishNumbered(lossy, n);
    }
    publishNumbered(kept, 2);

    String cursorAfterReset;
    try (TestSseClient resumed =
        TestSseClient.to(port).channel(lossy, kept).bearer(token).lastEventId(cursor).open()) {
      assertThat(resumed.status()).isEqualTo(200);
      assertThat(resumed.next().retry()).isNotNull();

      List<Event> events = eventsUntilIdOnlyBlock(resumed);
      List<Event> resets = events.stream().filter(e -> "reset".equals(e.event())).toList();
      assertThat(resets).hasSize(1);
      JsonNode reset = TestApi.json().readTree(resets.get(0).data());
      assertThat(reset.propertyNames()).containsExactly("channels");
      assertThat(reset.get("channels").isArray()).isTrue();
      assertThat(reset.get("channels").valueStream().map(JsonNode::asString))
          .containsExactly(lossy);
      assertThat(events.stream().filter(Event::isMessage).map(this::label))
          .as("nothing of the lost channel is replayed as if it continued; the other recovers")
          .containsExactly(kept + "#2");

      publishNumbered(lossy, 7);
      assertThat(readMessages(resumed, 1)).containsExactly(lossy + "#7");
      cursorAfterReset = resumed.lastEventId();
    }

    try (TestSseClient again =
        TestSseClient.to(port)
            .channel(lossy, kept)
            .bearer(token)
            .lastEventId(cursorAfterReset)
            .open()) {
      assertThat(again.next().retry()).isNotNull();
      assertThat(eventsUntilIdOnlyBlock(again))
          .as("after a reset the new cursor resumes cleanly: nothing missed, nothing lost")
          .isEmpty();
    }
  }

  static Stream<Arguments> unrecoverablePositions() {
    return Stream.of(
        Arguments.of("an epoch the channel never had", 1L, "gone"),
        Arguments.of("an offset the channel never reached", 99L, null));
  }

  /**
   * A cursor from before the channel's history was lost (the node restarted) names an epoch or an
   * offset the channel does not have: the client must be told, not silently continued.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("unrecoverablePositions")
  void resumeFromAPositionTheChannelDoesNotKnowSendsReset(
      String kind, long offset, String epochOrNull) {
    String channel = "feed:" + run;
    String token = TestTokens.user("reader-" + run).subscribe("feed:*").token();
    String epoch = publishNumbered(channel, 1);
    publishNumbered(channel, 2);
    String cursor =
        SseCursor.encode(
            Map.of(
                ChannelName.of(channel),
                new StreamPosition(offset, epochOrNull == null ? epoch : epochOrNull)));

    try (TestSseClient sse =
        TestSseClient.to(port).channel(channel).bearer(token).lastEventId(cursor).open()) {
      assertThat(sse.status()).isEqualTo(200);
      assertThat(sse.next().retry()).isNotNull();
      List<Event> events = eventsUntilIdOnlyBlock(sse);
      assertThat(events).hasSize(1);
      assertThat(events.get(0).event()).isEqualTo("reset");
      assertThat(events.get(0).data()).isEqualTo("{\"channels\":[\"" + channel + "\"]}");

      publishNumbered(channel, 3);
      assertThat(readMessages(sse, 1)).containsExactly(channel + "#3");
    }
  }

  @Test
  void requestWithoutChannelIsRefusedWith400() {
    assertRefused(TestSseClient.to(port), 400);
  }

  @ParameterizedTest
  @ValueSource(strings = {"bad channel", "semi;colon", "comma,name", "ünïcode", ""})
  void badChannelNameIsRefusedWith400(String name) {
    String token = TestTokens.user("alice").subscribe("*").token();
    assertRefused(TestSseClient.to(port).channel(name).bearer(token), 400);
  }

  @Test
  void channelNameLongerThan255IsRefusedWith400() {
    String token = TestTokens.user("alice").subscribe("*").token();
    assertRefused(TestSseClient.to(port).channel("a".repeat(256)).bearer(token), 400);
  }

  @Test
  void moreThan16ChannelsAreRefusedWith400() {
    String token = TestTokens.user("alice").subscribe("document:*").token();
    String[] channels =
        IntStream.rangeClosed(1, 17)
            .mapToObj(i -> "document:" + run + "-" + i)
            .toArray(String[]::new);
    assertRefused(TestSseClient.to(port).channel(channels).bearer(token), 400);
  }

  @Test
  void sixteenChannelsAreAccepted() {
    String token = TestTokens.user("alice").subscribe("document:*").token();
    String[] channels =
        IntStream.rangeClosed(1, 16)
            .mapToObj(i -> "document:" + run + "-" + i)
            .toArray(String[]::new);
    try (TestSseClient sse =
        TestSseClient.to(port).channel(channels).bearer(token).openSubscribed()) {
      api.publish(channels[15], Map.of("n", 1));
      assertThat(readMessages(sse, 1)).containsExactly(channels[15] + "#1");
    }
  }

  static Stream<String> garbageCursors() {
    return Stream.of(
        "not a cursor!",
        "%%%",
        base64("2;document:x,abc,1"),
        base64("1;document:x,abc,notanumber"),
        base64("1;document:x,abc,-1"),
        base64("1;document:x,,1"),
        base64("1;bad channel,abc,1"),
        base64("1;document:x,abc"),
        "x".repeat(3000));
  }

  @ParameterizedTest
  @MethodSource("garbageCursors")
  void garbageLastEventIdHeaderIsRefusedWith400(String cursor) {
    String token = TestTokens.user("alice").subscribe("document:*").token();
    assertRefused(
        TestSseClient.to(port).channel("document:x").bearer(token).lastEventId(cursor), 400);
  }

  @ParameterizedTest
  @MethodSource("garbageCursors")
  void garbageLastEventIdParameterIsRefusedWith400(String cursor) {
    String token = TestTokens.user("alice").subscribe("document:*").token();
    assertRefused(
        TestSseClient.to(port).channel("document:x").bearer(token).lastEventIdParameter(cursor),
        400);
  }

  @Test
  void missingTokenForANonAnonymousChannelIsRefusedWith401() {
    assertRefused(TestSseClient.to(port).channel("document:" + run), 401);
  }

  static Stream<Arguments> badTokens() {
    TestTokens alice = TestTokens.user("alice").subscribe("document:*");
    return Stream.of(
        Arguments.of("expired", TestTokens.user("alice").subscribe("document:*").expired().token()),
        Arguments.of("wrong key", alice.signedWith(OTHER_SECRET).token()),
        Arguments.of("alg none", TestTokens.user("alice").subscribe("document:*").unsignedToken()),
        Arguments.of("malformed", "not-a-jwt"),
        Arguments.of("three garbage parts", "abc.def.ghi"),
        Arguments.of(
            "truncated",
            TestTokens.user("alice").subscribe("document:*").token().substring(0, 40)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokens")
  void badBearerTokenIsRefusedWith401(String kind, String token) {
    assertRefused(TestSseClient.to(port).channel("document:" + run).bearer(token), 401);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badTokens")
  void badTokenParameterIsRefusedWith401(String kind, String token) {
    assertRefused(TestSseClient.to(port).channel("document:" + run).tokenParameter(token), 401);
  }

  @Test
  void channelTheTokenDoesNotPermitIsRefusedWith403() {
    String token = TestTokens.user("alice").subscribe("document:*").token();
    assertRefused(TestSseClient.to(port).channel("secret:" + run).bearer(token), 403);
    assertRefused(
        TestSseClient.to(port).channel("document:" + run, "secret:" + run).bearer(token), 403);
    assertRefused(TestSseClient.to(port).channel("user:bob").bearer(token), 403);
  }

  @Test
  void personalChannelNeedsNoSubscribeClaim() {
    String user = "bob-" + run;
    String token = TestTokens.user(user).token();
    try (TestSseClient sse =
        TestSseClient.to(port).channel("user:" + user).bearer(token).openSubscribed()) {
      api.publish("user:" + user, Map.of("n", 1));
      assertThat(readMessages(sse, 1)).containsExactly("user:" + user + "#1");
    }
  }

  @Test
  void anonymousNamespaceStreamsWithoutAToken() {
    String channel = "public:" + run;
    try (TestSseClient sse = TestSseClient.to(port).channel(channel).openSubscribed()) {
      api.publish(channel, Map.of("n", 1));
      assertThat(readMessages(sse, 1)).containsExactly(channel + "#1");
    }
  }

  static Stream<Arguments> tokenCarriers() {
    return Stream.of(
        Arguments.of(
            "Authorization: Bearer",
            (BiFunction<TestSseClient.Request, String, TestSseClient.Request>)
                TestSseClient.Request::bearer),
        Arguments.of(
            "?token=",
            (BiFunction<TestSseClient.Request, String, TestSseClient.Request>)
                TestSseClient.Request::tokenParameter));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("tokenCarriers")
  void tokenIsAcceptedFrom(
      String carrier, BiFunction<TestSseClient.Request, String, TestSseClient.Request> withToken) {
    String channel = "document:" + run;
    String token = TestTokens.user("alice").subscribe("document:*").token();
    try (TestSseClient sse =
        withToken.apply(TestSseClient.to(port).channel(channel), token).openSubscribed()) {
      api.publish(channel, Map.of("n", 1));
      assertThat(readMessages(sse, 1)).containsExactly(channel + "#1");
    }
  }

  @Test
  void backendDisconnectWithReconnectEndsTheStreamWithADisconnectEvent() {
    String user = "alice-" + run;
    String token = TestTokens.user(user).subscribe("document:*").token();
    try (TestSseClient sse =
        TestSseClient.to(port).channel("document:" + run).bearer(token).openSubscribed()) {
      TestApi.Answer answer =
          api.post("/api/v1/disconnect", Map.of("user", user, "reconnect", true));
      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.json().get("connections").asInt()).isEqualTo(1);

      Event disconnect = sse.nextEvent();
      assertThat(disconnect.event()).as("event %s", disconnect).isEqualTo("disconnect");
      JsonNode data = TestApi.json().readTree(disconnect.data());
      assertThat(data.propertyNames()).containsExactlyInAnyOrder("code", "reason", "reconnect");
      assertThat(data.get("code").asInt()).isEqualTo(1012);
      assertThat(data.get("reason").isString()).isTrue();
      assertThat(data.get("reconnect").isBoolean()).isTrue();
      assertThat(data.get("reconnect").asBoolean()).isTrue();
      sse.awaitEnd(TestSseClient.DEFAULT_TIMEOUT);
    }
  }

  @Test
  void backendDisconnectWithoutReconnectTellsTheClientNotToReconnect() {
    String user = "alice-" + run;
    String token = TestTokens.user(user).subscribe("document:*").token();
    try (TestSseClient sse =
        TestSseClient.to(port).channel("document:" + run).bearer(token).openSubscribed()) {
      api.post("/api/v1/disconnect", Map.of("user", user, "reconnect", false));

      Event disconnect = sse.nextEvent();
      assertThat(disconnect.event()).isEqualTo("disconnect");
      assertThat(TestApi.json().readTree(disconnect.data()).get("reconnect").asBoolean()).isFalse();
      sse.awaitEnd(TestSseClient.DEFAULT_TIMEOUT);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static void assertRefused(TestSseClient.Request request, int code) {
    try (TestSseClient sse = request.open()) {
      String body = sse.body();
      TestApi.assertErrorAnswer(code, sse.status(), sse.headers().get("Content-Type"), body);
    }
  }

  private String publishNumbered(String channel, long n) {
    JsonNode published = api.publish(channel, Map.of("n", n));
    assertThat(published.get("offset").asLong()).as("offset on %s", channel).isEqualTo(n);
    return published.get("epoch").asString();
  }

  private List<String> readMessages(TestSseClient sse, int count) {
    List<String> labels = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      labels.add(label(sse.nextMessage()));
    }
    return labels;
  }

  private String label(Event message) {
    JsonNode publication = TestApi.json().readTree(message.data());
    return publication.get("channel").asString() + "#" + publication.get("offset").asLong();
  }

  private static List<Event> eventsUntilIdOnlyBlock(TestSseClient sse) {
    List<Event> events = new ArrayList<>();
    for (Event event = sse.nextEvent(); !event.idOnly(); event = sse.nextEvent()) {
      events.add(event);
    }
    return events;
  }

  private static List<JsonNode> messagesUntilIdOnlyBlock(TestSseClient sse) {
    List<JsonNode> publications = new ArrayList<>();
    for (Event event : eventsUntilIdOnlyBlock(sse)) {
      assertThat(event.isMessage()).as("only messages in a full replay: %s", event).isTrue();
      assertThat(event.id()).isNotBlank();
      publications.add(TestApi.json().readTree(event.data()));
    }
    return publications;
  }

  private static List<Long> offsetsOf(List<JsonNode> publications, String channel) {
    return publications.stream()
        .filter(p -> p.get("channel").asString().equals(channel))
        .map(p -> p.get("offset").asLong())
        .toList();
  }

  private static String base64(String text) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
