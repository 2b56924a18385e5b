package herald.protection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.support.Frames;
import herald.support.HeraldIntegrationTest;
import herald.support.TestApi;
import herald.support.TestIds;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * README "The protocol" and "Limits and protection" under fuzzing: thousands of generated text
 * frames (random text, truncated and mutated valid frames, wrong types, unknown ops and fields,
 * huge numbers, deep nesting, random unicode, valid frames mixed in) from a few connections at
 * once. Every frame gets exactly one well-formed reply, never a 500; connections end only as the
 * README says; afterwards a control client works, on a fuzzed channel too, and the node holds
 * nothing of the fuzzers.
 *
 * <p>Each seed generates the same frames every run, so a failure replays exactly.
 */
@HeraldIntegrationTest
// The fuzz aims at decoding and dispatch: with the default 50 frames/s nearly every generated frame
// would only meet the rate limiter (tested in RateLimitIntegrationTests), and 2,000 pipelined
// requests can queue more replies than the default outbound queue holds (slow consumers are tested
// in the SlowConsumer tests).
@TestPropertySource(
    properties = {
      "herald.rate-limits.inbound-frames-per-second=1000000",
      "herald.rate-limits.inbound-frames-burst=1000000",
      "herald.limits.outbound-queue=100000"
    })
class FrameFuzzIntegrationTests {

  private static final int FRAMES = 2_000;
  private static final int CONNECTIONS = 4;

  /** Under the 64 KiB frame limit, so that only the deliberate oversized frame closes with 1009. */
  private static final int MAX_FUZZ_FRAME = 60 * 1024;

  /** An id no generated frame uses, for the ping that marks the end of a connection's frames. */
  private static final long SENTINEL = 8_888_888_888_888_888_888L;

  private static final Set<Integer> REPLY_ERROR_CODES = Set.of(400, 401, 403, 409, 413, 429, 503);
  private static final Set<String> PUSH_TYPES =
      Set.of("message", "join", "leave", "unsubscribe", "disconnect");
  private static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(10);
  private static final JsonMapper JSON = JsonMapper.shared();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void generatedFramesGetWellFormedRepliesAndLeaveNothingBehind(long seed) {
    TestApi api = new TestApi(http);
    JsonNode before = node(api);
    String prefix = TestIds.next("fuzz" + seed + "-");
    Random random = new Random(seed);
    Generator generator = new Generator(random, prefix);

    List<Fuzzer> fuzzers = new ArrayList<>();
    for (int i = 0; i < CONNECTIONS; i++) {
      fuzzers.add(connect(i, prefix, generator));
    }
    try {
      for (int i = 0; i < FRAMES; i++) {
        Fuzzer fuzzer = fuzzers.get(random.nextInt(CONNECTIONS));
        fuzzer.send(generator.next(fuzzer.user));
      }
      for (Fuzzer fuzzer : fuzzers) {
        fuzzer.checkReplies();
      }
      for (Fuzzer fuzzer : fuzzers) {
        fuzzer.end(random.nextInt(4));
      }
    } finally {
      fuzzers.forEach(fuzzer -> fuzzer.client.close());
    }

    // Nothing of the fuzzers is left: connections, subscriptions, channels, presence.
    await()
        .atMost(RELEASE_TIMEOUT)
        .alias("every fuzzer's connection and subscription is released")
        .until(
            () -> {
              JsonNode now = node(api);
              return now.get("connections").asInt() == before.get("connections").asInt()
                  && now.get("subscriptions").asInt() == before.get("subscriptions").asInt();
            });
    assertThat(api.get("/api/v1/channels").body()).doesNotContain(prefix);
    for (String channel : generator.channels) {
      if (!channel.startsWith("user:")) {
        JsonNode presence = api.get("/api/v1/channels/" + channel + "/presence").json();
        assertThat(presence.get("clients")).as("presence of %s", channel).isEmpty();
      }
    }

    // A control client still works, on its own channel and on one the fuzzers used.
    try (TestWebSocketClient control =
        TestWebSocketClient.to(port)
            .subprotocol("herald.json")
            .bearer(
                TestTokens.user(TestIds.next("control"))
                    .subscribe("chat:*")
                    .publish("chat:*")
                    .token())
            .open()) {
      String own = prefix + "-control";
      String fuzzed = generator.channels.get(0);
      assertThat(control.request(1, Frames.subscribe(1, "chat:" + own)).has("result")).isTrue();
      assertThat(control.request(2, Frames.subscribe(2, fuzzed)).has("result")).isTrue();
      api.publish("chat:" + own, "control");
      assertThat(control.push("message").get("data").asString()).isEqualTo("control");
      JsonNode published = control.request(3, Frames.publish(3, fuzzed, "after the fuzz"));
      assertThat(published.has("result")).as("publish reply %s", published).isTrue();
      assertThat(control.push("message").get("data").asString()).isEqualTo("after the fuzz");
    }
    await()
        .atMost(RELEASE_TIMEOUT)
        .until(() -> node(api).get("connections").asInt() == before.get("connections").asInt());
  }

  /**
   * Opens fuzzer {@code index}: two authenticated by the handshake (header, query), two by a first
   * {@code connect} frame (anonymous, with a token), so every way in gets fuzzed.
   */
  private Fuzzer connect(int index, String prefix, Generator generator) {
    String user = prefix + "-user" + index;
    String token = generator.token(user);
    TestWebSocketClient.Builder builder = TestWebSocketClient.to(port).subprotocol("herald.json");
    TestWebSocketClient client =
        switch (index % 4) {
          case 0 -> builder.bearer(token).open();
          case 1 -> builder.token(token).open();
          default -> builder.open();
        };
    Fuzzer fuzzer = new Fuzzer(client, index % 4 == 2 ? "anonymous" : user);
    if (index % 4 == 2) {
      fuzzer.send(Frames.connect(1).getBytes(StandardCharsets.UTF_8));
    } else if (index % 4 == 3) {
      fuzzer.send(Frames.connect(1, token).getBytes(StandardCharsets.UTF_8));
    }
    return fuzzer;
  }

  private static JsonNode node(TestApi api) {
    return api.get("/api/v1/info").json().get("nodes").get(0);
  }

  /** One fuzzing connection and what it sent. */
  private static final class Fuzzer {

    final TestWebSocketClient client;
    final String user;
    int sent;

    Fuzzer(TestWebSocketClient client, String user) {
      this.client = client;
      this.user = user;
    }

    void send(byte[] frame) {
      client.sendText(frame);
      sent++;
    }

    /**
     * Sends the sentinel ping and reads everything before its reply: exactly one well-formed reply
     * per frame sent, and well-formed pushes. A connection may end early only for exceeding a rate
     * limit (4029), after being told so with 429 replies.
     */
    void checkReplies() {
      client.send(Frames.ping(SENTINEL));
      List<JsonNode> replies = new ArrayList<>();
      int rateLimited = 0;
      while (true) {
        JsonNode frame;
        try {
          frame = client.next(Duration.ofSeconds(10));
        } catch (AssertionError ended) {
          if (client.isOpen()) {
            throw ended;
          }
          assertThat(rateLimited)
              .as("429 replies before the connection ended with %s", client.closeStatus())
              .isPositive();
          assertThat(client.closeStatus().code()).isEqualTo(4029);
          return;
        }
        if (frame.has("id") && frame.get("id").asLong() == SENTINEL) {
          assertWellFormedReply(frame);
          break;
        }
        if (frame.has("id")) {
          assertWellFormedReply(frame);
          replies.add(frame);
          if (frame.has("error") && frame.get("error").get("code").asInt() == 429) {
            rateLimited++;
          }
        } else {
          assertWellFormedPush(frame);
          assertThat(frame.get("type").asString())
              .as("no disconnect for a frame that is only malformed: %s", frame)
              .isNotEqualTo("disconnect");
        }
      }
      assertThat(replies).as("one reply per frame sent by %s", user).hasSize(sent);
    }

    /** Ends the connection one of four ways, each with what the README says. */
    void end(int how) {
      switch (how) {
        case 0 -> client.close();
        case 1 -> client.abort();
        case 2 -> {
          client.sendBinary(new byte[] {1, 2, 3});
          assertThat(client.push("disconnect").get("code").asInt()).isEqualTo(4400);
          assertThat(client.closeStatus().code()).isEqualTo(4400);
        }
        default -> {
          client.send(Frames.publish(1, "chat:x", "x".repeat(70 * 1024)));
          assertThat(client.closeStatus().code()).isEqualTo(1009);
        }
      }
    }
  }

  static void assertWellFormedReply(JsonNode reply) {
    List<String> fields = List.copyOf(reply.propertyNames());
    assertThat(fields).as("reply %s", reply).hasSize(2).contains("id");
    assertThat(reply.get("id").isIntegralNumber()).as("id of %s", reply).isTrue();
    assertThat(reply.get("id").asLong()).as("id of %s", reply).isNotNegative();
    if (reply.has("error")) {
      JsonNode error = reply.get("error");
      assertThat(List.copyOf(error.propertyNames()))
          .as("error of %s", reply)
          .containsExactly("code", "message");
      assertThat(error.get("code").asInt())
          .as("error code of %s (never 500)", reply)
          .isIn(REPLY_ERROR_CODES);
      assertThat(error.get("message").asString()).isNotBlank().hasSizeLessThan(300);
    } else {
      assertThat(fields).as("reply %s", reply).contains("result");
      assertThat(reply.get("result").isObject()).as("result of %s", reply).isTrue();
    }
  }

  static void assertWellFormedPush(JsonNode push) {
    assertThat(push.path("type").asString()).as("push %s", push).isIn(PUSH_TYPES);
    List<String> fields = List.copyOf(push.propertyNames());
    switch (push.get("type").asString()) {
      case "message" ->
          assertThat(fields)
              .as("push %s", push)
              .contains("type", "channel", "offset", "epoch", "data", "ts");
      case "join", "leave" ->
          assertThat(fields)
              .as("push %s", push)
              .containsExactlyInAnyOrder("type", "channel", "user", "client");
      case "unsubscribe" ->
          assertThat(fields)
              .as("push %s", push)
              .containsExactlyInAnyOrder("type", "channel", "reason");
      default ->
          assertThat(fields)
              .as("push %s", push)
              .containsExactlyInAnyOrder("type", "code", "reason", "reconnect");
    }
  }

  /**
   * Generates fuzz frames as UTF-8 bytes (random bytes included, made UTF-8) from a seeded {@link
   * Random}. Valid frames come from {@link Frames}; everything else is derived from them or made
   * up.
   */
  static final class Generator {

    private static final String[] OPS = {
      "connect", "subscribe", "unsubscribe", "publish", "history", "presence", "refresh", "ping"
    };
    private static final String[] FIELDS = {
      "id", "op", "channel", "since", "limit", "data", "token", "offset", "epoch"
    };
    private static final String[] NUMBERS = {
      "0",
      "-0",
      "-1",
      "1.0",
      "1.5",
      "1e2",
      "1E+18",
      "1e400",
      "-1e400",
      "1e-400",
      "9223372036854775807",
      "9223372036854775808",
      "-9223372036854775809",
      "18446744073709551616",
      "99999999999999999999999999999999999999",
      "0.000000000000000000000000000001",
      "2147483648",
      "4294967296",
      "1".repeat(999),
      "1".repeat(1001),
      "0x10",
      "00012",
      "+1",
      ".5",
      "NaN",
      "Infinity",
      "-Infinity"
    };

    private static final int[] SPECIAL_CODE_POINTS = {0xfeff, 0xfffe, 0xffff, 0x2028, 0x10ffff};

    final List<String> channels = new ArrayList<>();
    private final Random random;
    private final String prefix;
    private long nextId = 2;

    Generator(Random random, String prefix) {
      this.random = random;
      this.prefix = prefix;
      for (int i = 0; i < 4; i++) {
        channels.add("chat:" + prefix + "-" + i);
      }
      channels.add("public:" + prefix);
      channels.add("document:" + prefix);
      channels.add("short:" + prefix);
    }

    /** A token for {@code user} that permits everything, so that only the frames can be wrong. */
    String token(String user) {
      return TestTokens.user(user).subscribe("*").publish("*").token();
    }

    byte[] next(String user) {
      int kind = random.nextInt(100);
      byte[] frame;
      if (kind < 20) {
        frame = utf8(valid(user));
      } else if (kind < 32) {
        byte[] valid = utf8(valid(user));
        frame = Arrays.copyOf(valid, random.nextInt(valid.length));
      } else if (kind < 47) {
        frame = mutate(utf8(valid(user)));
      } else if (kind < 62) {
        frame = wrongType(user);
      } else if (kind < 67) {
        frame = unknownField(user);
      } else if (kind < 74) {
        frame = utf8(randomOp());
      } else if (kind < 81) {
        frame = utf8(hugeNumber(user));
      } else if (kind < 86) {
        frame = utf8(deep(user));
      } else if (kind < 91) {
        frame = unicode(user);
      } else if (kind < 96) {
        frame = randomBytes(random.nextInt(300));
      } else if (kind < 99) {
        frame = utf8(randomValue(3).toString());
      } else {
        frame = utf8(Frames.publish(id(), channel(), "x".repeat(random.nextInt(MAX_FUZZ_FRAME))));
      }
      return asUtf8(frame.length > MAX_FUZZ_FRAME ? Arrays.copyOf(frame, MAX_FUZZ_FRAME) : frame);
    }

    /**
     * The frame with every invalid UTF-8 sequence replaced by U+FFFD: a text frame that is not
     * UTF-8 fails the connection with 1007 (RFC 6455 §8.1, tested in Rfc6455IntegrationTests),
     * while this fuzz aims at what the codec and dispatcher make of any text.
     */
    private static byte[] asUtf8(byte[] frame) {
      return new String(frame, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_8);
    }

    /** A frame Herald understands (it may still be refused: 403, 409, ...). */
    private String valid(String user) {
      long id = id();
      return switch (random.nextInt(10)) {
        case 0 -> Frames.ping(id);
        case 1, 2 ->
            random.nextBoolean()
                ? Frames.subscribe(id, channel())
                : Frames.subscribe(
                    id, channel(), random.nextInt(5), random.nextBoolean() ? "x" : "");
        case 3 -> Frames.unsubscribe(id, channel());
        case 4, 5 -> Frames.publish(id, channel(), randomValue(2));
        case 6 ->
            Frames.history(
                id,
                channel(),
                random.nextBoolean() ? (long) random.nextInt(5) : null,
                "e",
                random.nextBoolean() ? random.nextInt(10) : null);
        case 7 -> Frames.presence(id, channel());
        case 8 -> Frames.refresh(id, someToken(user));
        default -> random.nextBoolean() ? Frames.connect(id) : Frames.connect(id, someToken(user));
      };
    }

    private String someToken(String user) {
      return switch (random.nextInt(5)) {
        case 0 -> token(user);
        case 1 -> token(prefix + "-someone-else");
        case 2 -> TestTokens.user(user).expired().token();
        case 3 -> TestTokens.user(user).unsignedToken();
        default -> randomString(random.nextInt(40));
      };
    }

    private String channel() {
      int pick = random.nextInt(20);
      if (pick < channels.size()) {
        return channels.get(pick);
      }
      return switch (pick) {
        case 10 -> "";
        case 11 -> "chat:" + "a".repeat(251);
        case 12 -> "chat:" + prefix + " x";
        case 13 -> "*";
        case 14 -> "user:" + prefix + "-user" + random.nextInt(4);
        case 15 -> randomString(random.nextInt(20));
        default -> "chat:" + prefix + "-" + random.nextInt(4);
      };
    }

    private byte[] wrongType(String user) {
      ObjectNode frame = (ObjectNode) JSON.readTree(valid(user));
      String field = FIELDS[random.nextInt(FIELDS.length)];
      JsonNode value = randomValue(2);
      if (field.equals("offset") || field.equals("epoch")) {
        ObjectNode since = frame.putObject("since");
        since.put("offset", 1).put("epoch", "e");
        since.set(field, value);
      } else {
        frame.set(field, value);
      }
      return JSON.writeValueAsBytes(frame);
    }

    private byte[] unknownField(String user) {
      ObjectNode frame = (ObjectNode) JSON.readTree(valid(user));
      String name =
          random.nextBoolean()
              ? FIELDS[random.nextInt(FIELDS.length)].toUpperCase(Locale.ROOT)
              : randomString(1 + random.nextInt(30));
      frame.set(name, randomValue(1));
      return JSON.writeValueAsBytes(frame);
    }

    private String randomOp() {
      String op =
          switch (random.nextInt(5)) {
            case 0 -> OPS[random.nextInt(OPS.length)].toUpperCase(Locale.ROOT);
            case 1 -> OPS[random.nextInt(OPS.length)] + " ";
            case 2 -> OPS[random.nextInt(OPS.length)] + "\u0000";
            case 3 -> "";
            default -> randomString(random.nextInt(20));
          };
      ObjectNode frame = NODES.objectNode().put("id", id()).put("op", op);
      if (random.nextBoolean()) {
        frame.put("channel", channel());
      }
      return frame.toString();
    }

    /** A frame with a number literal Jackson may refuse, overflow or round, in a numeric field. */
    private String hugeNumber(String user) {
      ObjectNode frame = (ObjectNode) JSON.readTree(valid(user));
      String field =
          switch (random.nextInt(4)) {
            case 0 -> "id";
            case 1 -> "limit";
            case 2 -> "since";
            default -> "data";
          };
      String number = NUMBERS[random.nextInt(NUMBERS.length)];
      if (field.equals("since")) {
        frame.set("since", NODES.objectNode().put("offset", "NUMBER").put("epoch", "e"));
      } else {
        frame.put(field, "NUMBER");
      }
      return frame.toString().replace("\"NUMBER\"", number);
    }

    private String deep(String user) {
      int[] depths = {5, 20, 30, 31, 32, 33, 40, 100, 1_000, 10_000};
      int depth = depths[random.nextInt(depths.length)];
      String nested =
          random.nextBoolean()
              ? "[".repeat(depth) + "]".repeat(depth)
              : "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
      return switch (random.nextInt(3)) {
        case 0 -> nested;
        case 1 ->
            "{\"id\":"
                + id()
                + ",\"op\":\"publish\",\"channel\":\""
                + channels.get(0)
                + "\",\"data\":"
                + nested
                + "}";
        default -> {
          ObjectNode frame = (ObjectNode) JSON.readTree(valid(user));
          frame.put("since", "NESTED");
          yield frame.toString().replace("\"NESTED\"", nested);
        }
      };
    }

    private byte[] unicode(String user) {
      ObjectNode frame = (ObjectNode) JSON.readTree(valid(user));
      String field = random.nextBoolean() ? "data" : random.nextBoolean() ? "channel" : "op";
      frame.put(field, randomString(random.nextInt(50)));
      return JSON.writeValueAsBytes(frame);
    }

    private byte[] mutate(byte[] frame) {
      byte[] bytes = frame;
      int mutations = 1 + random.nextInt(4);
      for (int m = 0; m < mutations && bytes.length > 1; m++) {
        int at = random.nextInt(bytes.length);
        switch (random.nextInt(5)) {
          case 0 -> bytes[at] = (byte) (bytes[at] ^ (1 << random.nextInt(8)));
          case 1 -> bytes[at] = (byte) random.nextInt(256);
          case 2 -> {
            byte[] longer = new byte[bytes.length + 1];
            System.arraycopy(bytes, 0, longer, 0, at);
            longer[at] = (byte) "{}[]\":,\\0123456789-e.".charAt(random.nextInt(21));
            System.arraycopy(bytes, at, longer, at + 1, bytes.length - at);
            bytes = longer;
          }
          case 3 -> {
            byte[] shorter = new byte[bytes.length - 1];
            System.arraycopy(bytes, 0, shorter, 0, at);
            System.arraycopy(bytes, at + 1, shorter, at, bytes.length - at - 1);
            bytes = shorter;
          }
          default -> {
            int length = Math.min(random.nextInt(16), bytes.length - at);
            byte[] doubled = new byte[bytes.length + length];
            System.arraycopy(bytes, 0, doubled, 0, at + length);
            System.arraycopy(bytes, at, doubled, at + length, bytes.length - at);
            bytes = doubled;
          }
        }
      }
      return bytes;
    }

    private JsonNode randomValue(int depth) {
      int kinds = depth <= 0 ? 8 : 10;
      return switch (random.nextInt(kinds)) {
        case 0 -> NODES.nullNode();
        case 1 -> NODES.booleanNode(random.nextBoolean());
        case 2 -> NODES.numberNode(random.nextInt());
        case 3 -> NODES.numberNode(random.nextLong());
        case 4 -> NODES.numberNode(random.nextDouble() * Math.pow(10, random.nextInt(40) - 20));
        case 5 -> NODES.numberNode(new BigInteger(64 + random.nextInt(200), random));
        case 6, 7 -> NODES.stringNode(randomString(random.nextInt(30)));
        case 8 -> {
          var array = NODES.arrayNode();
          for (int i = random.nextInt(4); i > 0; i--) {
            array.add(randomValue(depth - 1));
          }
          yield array;
        }
        default -> {
          ObjectNode object = NODES.objectNode();
          for (int i = random.nextInt(4); i > 0; i--) {
            object.set(randomString(random.nextInt(8)), randomValue(depth - 1));
          }
          yield object;
        }
      };
    }

    /**
     * Text from every corner of Unicode, lone surrogates and control characters included (Jackson
     * writes those escaped, so the frame stays valid UTF-8).
     */
    private String randomString(int length) {
      StringBuilder text = new StringBuilder(length);
      for (int i = 0; i < length; i++) {
        int codePoint =
            switch (random.nextInt(8)) {
              case 0 -> random.nextInt(0x20);
              case 1 -> 0xa0 + random.nextInt(0x700);
              case 2 -> 0x4e00 + random.nextInt(0x5000);
              case 3 -> 0x1f600 + random.nextInt(0x50);
              case 4 -> 0xd800 + random.nextInt(0x800);
              case 5 -> SPECIAL_CODE_POINTS[random.nextInt(SPECIAL_CODE_POINTS.length)];
              default -> 0x20 + random.nextInt(0x5f);
            };
        text.appendCodePoint(codePoint);
      }
      return text.toString();
    }

    private byte[] randomBytes(int length) {
      byte[] bytes = new byte[length];
      random.nextBytes(bytes);
      return bytes;
    }

    private long id() {
      return nextId++;
    }

    private static byte[] utf8(String text) {
      return text.getBytes(StandardCharsets.UTF_8);
    }
  }
}
