package herald.cluster;

import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The messages nodes exchange on the backplane, as JSON: a {@link Request} goes to every node, each
 * node answers the asking node with a {@link Reply}.
 */
final class ControlMessages {

  /** What a request asks every node to do. */
  enum Operation {
    CHANNELS,
    UNSUBSCRIBE,
    DISCONNECT
  }

  /** An action for every node; {@code replyTo} is the asking node. */
  record Request(
      String id,
      String replyTo,
      Operation operation,
      @Nullable String user,
      @Nullable String channel,
      boolean reconnect) {}

  /** One node's answer: the connections it acted on, or its active channels. */
  record Reply(String id, String node, int connections, Map<String, Integer> channels) {}

  private final JsonMapper json;

  ControlMessages(JsonMapper json) {
    this.json = json;
  }

  String encode(Request request) {
    ObjectNode node = json.createObjectNode();
    node.put("request", request.id());
    node.put("replyTo", request.replyTo());
    node.put("operation", request.operation().name());
    node.put("user", request.user());
    node.put("channel", request.channel());
    node.put("reconnect", request.reconnect());
    return json.writeValueAsString(node);
  }

  String encode(Reply reply) {
    ObjectNode node = json.createObjectNode();
    node.put("reply", reply.id());
    node.put("node", reply.node());
    node.put("connections", reply.connections());
    ObjectNode channels = node.putObject("channels");
    reply.channels().forEach(channels::put);
    return json.writeValueAsString(node);
  }

  /**
   * Reads a message: a {@link Request}, a {@link Reply}, or {@code null} for anything else.
   *
   * @throws RuntimeException when the text is not a well-formed message
   */
  @Nullable Object decode(String text) {
    JsonNode node = json.readTree(text);
    if (node.has("request")) {
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
          channels);
    }
    return null;
  }

  private static @Nullable String textOrNull(@Nullable JsonNode node) {
    return node == null || node.isNull() ? null : node.asString();
  }
}
