package herald.engine.redis;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The JSON that Redis holds and carries: publication payloads (written by {@link
 * RedisScripts#PUBLISH}), presence entries, and join/leave announcements tagged with the announcing
 * engine's instance so that it can skip its own.
 */
final class RedisPayloads {

  private RedisPayloads() {}

  static Publication toPublication(ChannelName channel, JsonNode payload) {
    JsonNode from = payload.get("from");
    return new Publication(
        channel,
        payload.get("offset").asLong(),
        payload.get("epoch").asString(),
        payload.get("data"),
        payload.get("ts").asLong(),
        from == null || from.isNull() ? null : from.asString());
  }

  static ObjectNode clientNode(JsonMapper json, ClientInfo client) {
    ObjectNode node = json.createObjectNode();
    node.put("user", client.user());
    node.put("client", client.client());
    node.put("node", client.node());
    return node;
  }

  static ClientInfo toClient(JsonNode node) {
    return new ClientInfo(
        node.get("user").asString(), node.get("client").asString(), node.get("node").asString());
  }

  /** {@code {"join"|"leave": client, "origin": instance}}. */
  static String announcement(JsonMapper json, String kind, ClientInfo client, String instance) {
    ObjectNode node = json.createObjectNode();
    node.set(kind, clientNode(json, client));
    node.put("origin", instance);
    return json.writeValueAsString(node);
  }
}
