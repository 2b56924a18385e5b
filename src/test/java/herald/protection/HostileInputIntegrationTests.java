package herald.protection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import herald.support.Frames;
import herald.support.HeraldIntegrationTest;
import herald.support.RawHttp;
import herald.support.RawWebSocket;
import herald.support.TestApi;
import herald.support.TestIds;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
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
 * README "The protocol" and "Limits and protection" against hostile input, over real sockets:
 * oversized request heads, invalid UTF-8, deep nesting, oversized and binary frames, bad channel
 * names. Each gets a clear error or a clean close with the README's code, and in every case a
 * well-behaved control client on the same node still publishes and receives, seeing nothing of the
 * offender. After each test every connection it opened is released.
 */
@HeraldIntegrationTest
class HostileInputIntegrationTests {

  private static final int KIB = 1024;

  /**
   * Reactor Netty's limits as Spring Boot configures them: request line 4 KiB, headers 8 KiB.
   * Anything past them is refused before Herald sees the request.
   */
  private static final int OVERSIZED = 64 * KIB;

  private static final String WEBSOCKET_UPGRADE =
      "Upgrade: websocket\r\n"
          + "Connection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          + "Sec-WebSocket-Version: 13\r\n";

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  private TestApi api;
  private final List<TestWebSocketClient> clients = new ArrayList<>();
  private final AtomicLong controlIds = new AtomicLong(100);
  private int connectionsBefore;
  private TestWebSocketClient control;
  private String controlChannel;

  @BeforeEach
  void controlClientSubscribes() {
    api = new TestApi(http);
    connectionsBefore = connections();
    controlChannel = TestIds.next("chat:control");
    control = open(TestTokens.user(TestIds.next("control")).subscribe("chat:*").publish("chat:*"));
    result(control.request(1, Frames.subscribe(1, controlChannel)));
  }

  @AfterEach
  void everyConnectionOfTheTestIsReleased() {
    clients.forEach(TestWebSocketClient::close);
    await()
        .atMost(Duration.ofSeconds(5))
        .alias("the node holds no connection of this test")
        .until(() -> connections() == connectionsBefore);
  }

  // ------------------------------------------------------------------ oversized request heads

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"/api/v1/info", "/sse?channel=public:hostile", "/ws"})
  void requestHeaderOf64KibIsRefusedWith431(String target) throws IOException {
    String header = "X-Filler: " + "a".repeat(OVERSIZED) + "\r\n";

    RawHttp.Response response = exchange(target, header);

    assertThat(response.status()).as(response.head()).isEqualTo(431);
    assertNodeStillServes();
  }

  @Test
  void bearerTokenOf64KibOnTheHandshakeIsRefusedWith431() throws IOException {
    String header = "Authorization: Bearer " + "a".repeat(OVERSIZED) + "\r\n";

    RawHttp.Response response = exchange("/ws", WEBSOCKET_UPGRADE + header);

    assertThat(response.status()).as(response.head()).isEqualTo(431);
    assertNodeStillServes();
  }

  @Test
  void manySmallHeadersAddingUpTo64KibAreRefusedWith431() throws IOException {
    StringBuilder headers = new StringBuilder();
    for (int i = 0; headers.length() < OVERSIZED; i++) {
      headers.append("X-Filler-").append(i).append(": ").append("a".repeat(50)).append("\r\n");
    }

    RawHttp.Response response = exchange("/api/v1/info", headers.toString());

    assertThat(response.status()).as(response.head()).isEqualTo(431);
    assertNodeStillServes();
  }

  @Test
  void requestHeaderOf4KibIsServed() throws IOException {
    String header = "X-Filler: " + "a".repeat(4 * KIB) + "\r\n";

    RawHttp.Response response =
        exchange("/api/v1/info", header + "X-API-Key: " + TestTokens.API_KEY + "\r\n");

    assertThat(response.status()).as(response.head()).isEqualTo(200);
  }

  static Stream<Arguments> oversizedQueries() {
    String padding = "a".repeat(OVERSIZED);
    return Stream.of(
        arguments("/sse", "/sse?channel=public:hostile&pad=" + padding, ""),
        arguments("/sse with a 64 KiB channel name", "/sse?channel=public:" + padding, ""),
        arguments("/ws", "/ws?token=" + padding, WEBSOCKET_UPGRADE),
        arguments("/api/v1/info", "/api/v1/info?pad=" + padding, ""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("oversizedQueries")
  void queryStringOf64KibIsRefusedWith414(String kind, String target, String headers)
      throws IOException {
    RawHttp.Response response = exchange(target, headers);

    assertThat(response.status()).as(response.head()).isEqualTo(414);
    assertNodeStillServes();
  }

  // ------------------------------------------------------------------ invalid UTF-8

  static Stream<Arguments> invalidUtf8() {
    return Stream.of(
        arguments("lone continuation byte", "80"),
        arguments("truncated two-byte sequence", "c3"),
        arguments("truncated three-byte sequence", "e282"),
        arguments("byte 0xff", "ff"),
        arguments("byte 0xfe", "fe"),
        arguments("UTF-8 encoded high surrogate", "eda080"),
        arguments("UTF-8 encoded low surrogate", "edbfbf"),
        arguments("overlong '/' in two bytes", "c0af"),
        arguments("overlong '/' in three bytes", "e080af"),
        arguments("overlong '/' in four bytes", "f08080af"),
        arguments("overlong NUL", "c080"),
        arguments("code point above U+10FFFF", "f4908080"),
        arguments("five-byte sequence", "f888808080"),
        arguments("continuation byte where a lead byte belongs", "41bf42"));
  }

  // A text frame that is not UTF-8 fails the connection (RFC 6455 §8.1): close 1007.

  @ParameterizedTest(name = "{0} in a string")
  @MethodSource("invalidUtf8")
  void invalidUtf8InAStringClosesWith1007AndPublishesNothing(String kind, String hex) {
    TestWebSocketClient offender = offender();

    offender.sendText(
        concat(
            "{\"id\":5,\"op\":\"publish\",\"channel\":\"" + controlChannel + "\",\"data\":\"a",
            HexFormat.of().parseHex(hex),
            "z\"}"));

    assertClosedWith1007(offender);
    assertControlClientUnaffected();
  }

  @ParameterizedTest(name = "{0} between tokens")
  @MethodSource("invalidUtf8")
  void invalidUtf8OutsideStringsClosesWith1007(String kind, String hex) {
    TestWebSocketClient offender = offender();

    offender.sendText(concat("{\"id\":5,", HexFormat.of().parseHex(hex), "\"op\":\"ping\"}"));

    assertClosedWith1007(offender);
    assertControlClientUnaffected();
  }

  private static void assertClosedWith1007(TestWebSocketClient offender) {
    JsonNode disconnect = offender.push("disconnect");
    assertThat(disconnect.get("code").asInt()).isEqualTo(1007);
    assertThat(disconnect.get("reconnect").asBoolean()).isFalse();
    assertThat(offender.closeStatus().code()).isEqualTo(1007);
  }

  // ------------------------------------------------------------------ deep nesting

  static Stream<Arguments> deeplyNestedFrames() {
    return Stream.of(
        arguments("data 40 arrays deep", publishRaw(arrays(40))),
        arguments("data 40 objects deep", publishRaw(objects(40))),
        arguments("data 10,000 arrays deep", publishRaw(arrays(10_000))),
        arguments("data 10,000 objects deep", publishRaw(objects(10_000))),
        arguments("frame 40 arrays deep", arrays(40)),
        arguments("frame 10,000 arrays deep", arrays(10_000)),
        arguments("10,000 unclosed arrays", "[".repeat(10_000)),
        arguments(
            "since 10,000 deep",
            "{\"id\":5,\"op\":\"subscribe\",\"channel\":\"CHANNEL\",\"since\":"
                + arrays(10_000)
                + "}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("deeplyNestedFrames")
  void deeplyNestedJsonGetsA400ReplyAndTheConnectionSurvives(String kind, String frame) {
    TestWebSocketClient offender = offender();

    offender.send(frame.replace("CHANNEL", controlChannel));

    assertErrorWithCode(offender.next(), 400);
    result(offender.request(6, Frames.ping(6)));
    assertControlClientUnaffected();
  }

  @Test
  void dataNestedToJustUnderTheLimitIsPublishedAndDelivered() {
    TestWebSocketClient offender = offender();
    // The frame is one level, data the other 31: 32 in all, the codec's limit.
    String data = arrays(31);

    JsonNode published = offender.request(5, publishRaw(data).replace("CHANNEL", controlChannel));

    assertThat(result(published).get("offset").asLong()).isEqualTo(1);
    assertThat(control.push("message").get("data").toString()).isEqualTo(data);
    assertControlClientUnaffected();
  }

  @Test
  void publicationAsDeepAsTheApiAcceptsReachesWebSocketSubscribersAndHistoryReaders() {
    String channel = TestIds.next("document:deep");
    TestWebSocketClient reader = open(TestTokens.user(TestIds.next("reader")).subscribe("*"));
    result(reader.request(1, Frames.subscribe(1, channel)));
    // The API accepts data as deep as a WebSocket client may publish: 31 levels.
    String data = arrays(31);

    TestApi.Answer answer =
        api.postRaw("/api/v1/publish", "{\"channel\":\"" + channel + "\",\"data\":" + data + "}");

    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
    assertThat(reader.push("message").get("data").toString()).isEqualTo(data);
    JsonNode history = result(reader.request(2, Frames.history(2, channel)));
    assertThat(history.get("publications").get(0).get("data").toString()).isEqualTo(data);
    assertControlClientUnaffected();
  }

  @Test
  void apiRefusesDataNestedDeeperThanTheWebSocketLimitAndServesWhatItAccepts() {
    String channel = TestIds.next("document:deep");
    TestApi.Answer tooDeep =
        api.postRaw(
            "/api/v1/publish", "{\"channel\":\"" + channel + "\",\"data\":" + arrays(32) + "}");
    assertThat(tooDeep.status()).as(tooDeep.body()).isEqualTo(400);

    String data = arrays(31);
    TestApi.Answer published =
        api.postRaw("/api/v1/publish", "{\"channel\":\"" + channel + "\",\"data\":" + data + "}");
    assertThat(published.status()).as(published.body()).isEqualTo(200);

    TestApi.Answer history = api.get("/api/v1/channels/" + channel + "/history");
    assertThat(history.status()).as(history.body()).isEqualTo(200);
    assertThat(history.body()).contains("\"data\":" + data);
    assertControlClientUnaffected();
  }

  // ------------------------------------------------------------------ sizes and frame types

  @Test
  void frameOf70KibClosesWith1009() {
    TestWebSocketClient offender = offender();

    offender.send(Frames.publish(5, controlChannel, "x".repeat(70 * KIB)));

    assertThat(offender.closeStatus().code()).isEqualTo(1009);
    assertControlClientUnaffected();
  }

  @Test
  void fragmentsAddingUpTo90KibCloseWith1009() throws IOException {
    try (RawWebSocket offender = rawOffender()) {
      byte[] fragment = "x".repeat(30 * KIB).getBytes(StandardCharsets.US_ASCII);
      offender.sendFrame(false, RawWebSocket.TEXT, fragment);
      offender.sendFrame(false, RawWebSocket.CONTINUATION, fragment);
      offender.sendFrame(true, RawWebSocket.CONTINUATION, fragment);

      RawWebSocket.Remainder rest = offender.readToEnd();

      assertThat(rest.closeCode()).as("frames %s", rest.frames()).isEqualTo(1009);
    }
    assertControlClientUnaffected();
  }

  @ParameterizedTest(name = "{0} KiB")
  @ValueSource(ints = {40, 60})
  void hugeFieldNameGetsAShort400Reply(int kib) {
    TestWebSocketClient offender = offender();

    offender.send("{\"id\":5,\"op\":\"ping\",\"" + "f".repeat(kib * KIB) + "\":1}");

    JsonNode reply = offender.next();
    assertErrorWithCode(reply, 400);
    assertThat(reply.toString()).as("the reply does not echo the name").hasSizeLessThan(300);
    result(offender.request(6, Frames.ping(6)));
    assertControlClientUnaffected();
  }

  @ParameterizedTest(name = "{0} bytes")
  @ValueSource(ints = {0, 3, 1000})
  void binaryFrameOnHeraldJsonClosesWith4400(int size) {
    TestWebSocketClient offender = offender();

    offender.sendBinary(new byte[size]);

    JsonNode disconnect = offender.push("disconnect");
    assertThat(disconnect.get("code").asInt()).isEqualTo(4400);
    assertThat(disconnect.get("reconnect").asBoolean()).isFalse();
    assertThat(offender.closeStatus().code()).isEqualTo(4400);
    assertControlClientUnaffected();
  }

  static Stream<Arguments> webSocketProtocolViolations() {
    return Stream.of(
        arguments("reserved opcode 0x3", true, 0x3, new byte[] {1}),
        arguments(
            "continuation without a first fragment",
            true,
            RawWebSocket.CONTINUATION,
            new byte[] {'{', '}'}),
        arguments("ping of 200 bytes", true, 0x9, new byte[200]),
        arguments("fragmented ping", false, 0x9, new byte[] {1}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("webSocketProtocolViolations")
  void webSocketProtocolViolationClosesWith1002(
      String kind, boolean fin, int opcode, byte[] payload) throws IOException {
    try (RawWebSocket offender = rawOffender()) {
      offender.sendFrame(fin, opcode, payload);

      RawWebSocket.Remainder rest = offender.readToEnd();

      assertThat(rest.closeCode()).as("frames %s", rest.frames()).isEqualTo(1002);
    }
    assertControlClientUnaffected();
  }

  // ------------------------------------------------------------------ bad channel names

  static Stream<Arguments> badChannelNames() {
    return Stream.of(
        arguments("empty", ""),
        arguments("256 characters", "chat:" + "a".repeat(251)),
        arguments("10,000 characters", "chat:" + "a".repeat(10_000)),
        arguments("a space", "chat:a b"),
        arguments("a leading space", " chat:a"),
        arguments("a trailing space", "chat:a "),
        arguments("a tab", "chat:a\tb"),
        arguments("a newline", "chat:a\nb"),
        arguments("a NUL", "chat:a\u0000b"),
        arguments("only a wildcard", "*"),
        arguments("a wildcard", "chat:*"),
        arguments("a slash", "chat:a/b"),
        arguments("a percent escape", "chat:%41"),
        arguments("a question mark", "chat:a?b"),
        arguments("a hash", "chat:a#b"),
        arguments("a comma", "chat:a,b"),
        arguments("a quote", "chat:a\"b"),
        arguments("Latin-1 letters", "chat:caf\u00e9"),
        arguments("CJK letters", "chat:\u65e5\u672c"),
        arguments("an emoji", "chat:\uD83D\uDE00"),
        arguments("a fullwidth colon", "chat\uFF1Aa"),
        arguments("a lone surrogate", "chat:\uD800"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badChannelNames")
  void badChannelNameGetsA400ReplyForEveryOp(String kind, String name) {
    TestWebSocketClient offender = offender();

    assertError(offender.request(1, Frames.subscribe(1, name)), 1, 400);
    assertError(offender.request(2, Frames.publish(2, name, "hi")), 2, 400);
    assertError(offender.request(3, Frames.history(3, name)), 3, 400);
    assertError(offender.request(4, Frames.presence(4, name)), 4, 400);
    assertError(offender.request(5, Frames.unsubscribe(5, name)), 5, 400);
    result(offender.request(6, Frames.ping(6)));
    assertControlClientUnaffected();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badChannelNames")
  void badChannelNameIsRefusedWith400ByTheApi(String kind, String name) {
    api.post("/api/v1/publish", Map.of("channel", name, "data", "hi")).assertError(400);
    assertControlClientUnaffected();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badChannelNames")
  void badChannelNameIsRefusedByServerSentEvents(String kind, String name) throws IOException {
    String target = "/sse?channel=" + URLEncoder.encode(name, StandardCharsets.UTF_8);

    RawHttp.Response response = exchange(target, "Accept: text/event-stream\r\n");

    // Past Reactor Netty's 4 KiB request line the request never reaches Herald.
    int expected = target.length() > 4 * KIB ? 414 : 400;
    assertThat(response.status()).as(response.head()).isEqualTo(expected);
    if (expected == 400) {
      TestApi.assertErrorAnswer(
          400, response.status(), response.header("Content-Type"), dechunk(response));
    }
    assertControlClientUnaffected();
  }

  @Test
  void channelNameOf255CharactersIsAccepted() {
    TestWebSocketClient offender = offender();
    String name = "chat:" + "a".repeat(250);

    assertThat(result(offender.request(1, Frames.subscribe(1, name))).has("epoch")).isTrue();
    assertControlClientUnaffected();
  }

  // ------------------------------------------------------------------ helpers

  /** A client allowed to do anything, so that only its input can be wrong. */
  private TestWebSocketClient offender() {
    return open(TestTokens.user(TestIds.next("mallory")).subscribe("*").publish("*"));
  }

  private RawWebSocket rawOffender() throws IOException {
    return RawWebSocket.open(
        port,
        TestTokens.user(TestIds.next("mallory")).subscribe("*").publish("*").token(),
        64 * KIB);
  }

  private TestWebSocketClient open(TestTokens token) {
    TestWebSocketClient client =
        TestWebSocketClient.to(port).subprotocol("herald.json").bearer(token.token()).open();
    clients.add(client);
    return client;
  }

  /**
   * The control client publishes a sentinel to its own channel and receives it as the next message:
   * the node still serves it, and nothing the offender sent reached it.
   */
  private void assertControlClientUnaffected() {
    long id = controlIds.incrementAndGet();
    String sentinel = "sentinel-" + id;
    result(control.request(id, Frames.publish(id, controlChannel, sentinel)));
    JsonNode message = control.push("message");
    assertThat(message.get("data").asString())
        .as("the control client's next message")
        .isEqualTo(sentinel);
  }

  /** The control client is unaffected, and a new HTTP request on a new connection is served. */
  private void assertNodeStillServes() throws IOException {
    assertControlClientUnaffected();
    assertThat(exchange("/api/v1/info", "X-API-Key: " + TestTokens.API_KEY + "\r\n").status())
        .isEqualTo(200);
  }

  private RawHttp.Response exchange(String target, String headers) throws IOException {
    return RawHttp.exchange(port, RawHttp.get(port, target, headers));
  }

  private int connections() {
    return api.get("/api/v1/info").json().get("nodes").get(0).get("connections").asInt();
  }

  private static String publishRaw(String data) {
    return "{\"id\":5,\"op\":\"publish\",\"channel\":\"CHANNEL\",\"data\":" + data + "}";
  }

  private static String arrays(int depth) {
    return "[".repeat(depth) + "]".repeat(depth);
  }

  private static String objects(int depth) {
    return "{\"a\":".repeat(depth - 1) + "{}" + "}".repeat(depth - 1);
  }

  private static byte[] concat(String before, byte[] middle, String after) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(before.getBytes(StandardCharsets.UTF_8));
    out.writeBytes(middle);
    out.writeBytes(after.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  private static String dechunk(RawHttp.Response response) {
    String body = response.body();
    if (!"chunked".equalsIgnoreCase(response.header("Transfer-Encoding"))) {
      return body;
    }
    StringBuilder out = new StringBuilder();
    int at = 0;
    while (true) {
      int lineEnd = body.indexOf("\r\n", at);
      int size = Integer.parseInt(body.substring(at, lineEnd).trim(), 16);
      if (size == 0) {
        return out.toString();
      }
      out.append(body, lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
    }
  }

  private static JsonNode result(JsonNode reply) {
    assertThat(List.copyOf(reply.propertyNames()))
        .as("reply %s", reply)
        .containsExactlyInAnyOrder("id", "result");
    return reply.get("result");
  }

  private static void assertError(JsonNode reply, long id, int code) {
    assertErrorWithCode(reply, code);
    assertThat(reply.get("id").asLong()).as("reply %s", reply).isEqualTo(id);
  }

  private static void assertErrorWithCode(JsonNode reply, int code) {
    assertThat(List.copyOf(reply.propertyNames()))
        .as("reply %s", reply)
        .containsExactlyInAnyOrder("id", "error");
    JsonNode error = reply.get("error");
    assertThat(List.copyOf(error.propertyNames())).containsExactlyInAnyOrder("code", "message");
    assertThat(error.get("code").asInt()).as("reply %s", reply).isEqualTo(code);
    assertThat(error.get("message").asString()).isNotBlank();
  }
}
