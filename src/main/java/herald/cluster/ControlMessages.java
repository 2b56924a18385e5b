package herald.cluster;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The messages nodes exchange on the backplane, as JSON: a {@link Request} goes to every node, each
 * node answers the asking node with a {@link Reply}.
 *
 * <p>Every message is signed: {@code <base64url HMAC-SHA256 of the JSON>.<JSON>}, under the
 * cluster's {@link ControlKey}, and carries the time it was sent. A message whose signature does
 * not verify, that is older (or newer) than {@link #MAX_AGE}, or a request seen before (a replay)
 * is refused with {@link UnverifiedMessageException}: anything else that can publish on the
 * backplane's Redis cannot order a node to disconnect or unsubscribe anyone.
 */
final class ControlMessages {

  /** How far a message's time may be from this node's clock: transit plus clock skew. */
  static final Duration MAX_AGE = Duration.ofSeconds(30);

  // Request ids seen within MAX_AGE (either side), to refuse replays; the API's rate limit keeps
  // the count far below the bound.
  private static final int MAX_REMEMBERED = 100_000;

  /** What a request asks every node to do. */
  enum Operation {
    CHANNELS,
    UNSUBSCRIBE,
    DISCONNECT,
    SUBSCRIBE
  }

  /** An action for every node; {@code replyTo} is the asking node. */
  record Request(
      String id,
      String replyTo,
      Operation operation,
      @Nullable String user,
      @Nullable String channel,
      boolean reconnect) {}

  /**
   * One node's answer: the connections it acted on, or its active channels; {@code refused}: the
   * connections a subscribe left out, as they hold as many channels as they may.
   */
  record Reply(
      String id, String node, int connections, Map<String, Integer> channels, int refused) {

    Reply(String id, String node, int connections, Map<String, Integer> channels) {
      this(id, node, connections, channels, 0);
    }
  }

  private final JsonMapper json;
  private final SecretKeySpec key;
  private final Clock clock;
  private final Cache<String, Boolean> seenRequests =
      Caffeine.newBuilder()
          .maximumSize(MAX_REMEMBERED)
          .expireAfterWrite(MAX_AGE.multipliedBy(2))
          .build();

  ControlMessages(JsonMapper json, SecretKeySpec key, Clock clock) {
    this.json = json;
    this.key = key;
    this.clock = clock;
  }

  String encode(Request request) {
    ObjectNode node = json.createObjectNode();
    node.put("request", request.id());
    node.put("replyTo", request.replyTo());
    node.put("operation", request.operation().name());
    node.put("user", request.user());
    node.put("channel", request.channel());
    node.put("reconnect", request.reconnect());
    return signed(node);
  }

  String encode(Reply reply) {
    ObjectNode node = json.createObjectNode();
    node.put("reply", reply.id());
    node.put("node", reply.node());
    node.put("connections", reply.connections());
    node.put("refused", reply.refused());
    ObjectNode channels = node.putObject("channels");
    reply.channels().forEach(channels::put);
    return signed(node);
  }

  private String signed(ObjectNode node) {
    node.put("ts", clock.millis());
    String body = json.writeValueAsString(node);
    byte[] signature = ControlKey.hmac(key, body.getBytes(StandardCharsets.UTF_8));
    return BASE64.encodeToString(signature) + "." + body;
  }

  private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();

  /**
   * The JSON of a signed message, once its signature and time check out.
   *
   * @throws UnverifiedMessageException when they do not
   */
  private JsonNode verified(String text) {
    int dot = text.indexOf('.');
    if (dot <= 0) {
      throw new UnverifiedMessageException("unsigned");
    }
    byte[] claimed;
    try {
      claimed = Base64.getUrlDecoder().decode(text.substring(0, dot));
    } catch (IllegalArgumentException e) {
      throw new UnverifiedMessageException("malformed signature");
    }
    String body = text.substring(dot + 1);
    byte[] expected = ControlKey.hmac(key, body.getBytes(StandardCharsets.UTF_8));
    if (!MessageDigest.isEqual(expected, claimed)) {
      throw new UnverifiedMessageException("bad signature");
    }
    JsonNode node = json.readTree(body);
    long age = clock.millis() - node.path("ts").asLong(0);
    if (Math.abs(age) > MAX_AGE.toMillis()) {
      throw new UnverifiedMessageException("sent " + age + " ms ago");
    }
    return node;
  }

  /**
   * Reads a message: a {@link Request}, a {@link Reply}, or {@code null} for anything else.
   *
   * @throws UnverifiedMessageException when it is not signed with the cluster's key, too old, or a
   *     replay
   * @throws RuntimeException when the text is not a well-formed message
   */
  @Nullable Object decode(String text) {
    JsonNode node = verified(text);
    if (node.has("request")) {
      if (seenRequests.asMap().putIfAbsent(node.get("request").asString(), Boolean.TRUE) != null) {
        throw new UnverifiedMessageException("replayed");
      }
      return new Request(
          node.get("request").asString(),
          node.get("replyTo").asString(),
          Operation.valueOf(node.get("operation").asString()),
          textOrNull(node.get("user")),
          textOrNull(node.get("channel")),
          node.path("reconnect").asBoolean(true));
    }
    if (node.has("reply")) {
      Map<String, Integer> channels = new LinkedHashMap<>();
      node.path("channels")
          .properties()
          .forEach(e -> channels.put(e.getKey(), e.getValue().asInt()));
      return new Reply(
          node.get("reply").asString(),
          node.get("node").asString(),
          node.path("connections").asInt(),
          channels,
          node.path("refused").asInt(0));
    }
    return null;
  }

  /** A message that is not provably from a node of this cluster; it is dropped. */
  static final class UnverifiedMessageException extends RuntimeException {
    UnverifiedMessageException(String reason) {
      super(reason, null, false, false);
    }
  }

  private static @Nullable String textOrNull(@Nullable JsonNode node) {
    return node == null || node.isNull() ? null : node.asString();
  }
}
