package herald.api;

import herald.channel.ChannelName;
import herald.protocol.HeraldException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads backend request bodies field by field, so a bad body gets a 400 that names the field, and
 * checks the size of published data.
 */
final class ApiRequests {

  /**
   * The deepest {@code data} a WebSocket client can publish (its frame may nest 32 levels, one of
   * which is the frame itself); the API holds published data to the same, so every subscriber and
   * history reader can be sent what was accepted.
   */
  static final int MAX_NESTING_DEPTH = 31;

  private final JsonMapper json;
  private final long maxMessageSize;

  ApiRequests(JsonMapper json, long maxMessageSize) {
    this.json = json;
    this.maxMessageSize = maxMessageSize;
  }

  void onlyFields(JsonNode body, Set<String> allowed) {
    if (!body.isObject()) {
      throw HeraldException.badRequest("the body must be a JSON object");
    }
    for (String field : body.propertyNames()) {
      if (!allowed.contains(field)) {
        throw HeraldException.badRequest("unknown field '" + truncate(field) + "'");
      }
    }
  }

  ChannelName channel(JsonNode body, String field) {
    return channelName(string(body, field), field);
  }

  static ChannelName channelName(String value, String field) {
    if (!ChannelName.isValid(value)) {
      throw HeraldException.badRequest(
          "field '" + field + "' must be 1-255 characters of A-Z a-z 0-9 _ - . : @ =");
    }
    return ChannelName.of(value);
  }

  List<ChannelName> channels(JsonNode body, String field, int max) {
    JsonNode array = body.get(field);
    if (array == null || !array.isArray() || array.isEmpty()) {
      throw HeraldException.badRequest("field '" + field + "' must be a non-empty array");
    }
    if (array.size() > max) {
      throw HeraldException.badRequest(
          "field '" + field + "' holds more than " + max + " channels");
    }
    List<ChannelName> channels = new ArrayList<>();
    for (JsonNode item : array) {
      if (!item.isString()) {
        throw HeraldException.badRequest("field '" + field + "' must hold strings");
      }
      channels.add(channelName(item.asString(), field));
    }
    return channels;
  }

  String string(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || !node.isString() || node.asString().isEmpty()) {
      throw HeraldException.badRequest("field '" + field + "' must be a non-empty string");
    }
    return node.asString();
  }

  /** The longest idempotency key accepted (README, Backend API). */
  static final int MAX_IDEMPOTENCY_KEY_LENGTH = 64;

  /** The optional idempotency key: 1-64 characters, or {@code null} when absent. */
  @Nullable String idempotencyKey(JsonNode body, String field) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isString()
        || node.asString().isEmpty()
        || node.asString().length() > MAX_IDEMPOTENCY_KEY_LENGTH) {
      throw HeraldException.badRequest(
          "field '"
              + field
              + "' must be a string of 1-"
              + MAX_IDEMPOTENCY_KEY_LENGTH
              + " characters");
    }
    return node.asString();
  }

  boolean bool(JsonNode body, String field, boolean fallback) {
    JsonNode node = body.get(field);
    if (node == null || node.isNull()) {
      return fallback;
    }
    if (!node.isBoolean()) {
      throw HeraldException.badRequest("field '" + field + "' must be true or false");
    }
    return node.asBoolean();
  }

  JsonNode data(JsonNode body) {
    JsonNode data = body.get("data");
    if (data == null || data.isMissingNode()) {
      throw HeraldException.badRequest("field 'data' is required");
    }
    if (depth(data) > MAX_NESTING_DEPTH) {
      throw HeraldException.badRequest(
          "field 'data' is nested deeper than " + MAX_NESTING_DEPTH + " levels");
    }
    if (json.writeValueAsBytes(data).length > maxMessageSize) {
      throw HeraldException.tooLarge("data is larger than " + maxMessageSize + " bytes");
    }
    return data;
  }

  /** How deeply {@code node} nests arrays and objects; walked without recursion. */
  static int depth(JsonNode node) {
    int deepest = 0;
    ArrayDeque<JsonNode> nodes = new ArrayDeque<>();
    ArrayDeque<Integer> depths = new ArrayDeque<>();
    nodes.push(node);
    depths.push(node.isContainer() ? 1 : 0);
    while (!nodes.isEmpty()) {
      JsonNode current = nodes.pop();
      int level = depths.pop();
      deepest = Math.max(deepest, level);
      for (JsonNode child : current) {
        if (child.isContainer()) {
          nodes.push(child);
          depths.push(level + 1);
        }
      }
    }
    return deepest;
  }

  private static String truncate(String text) {
    return text.length() <= 64 ? text : text.substring(0, 64) + "...";
  }
}
