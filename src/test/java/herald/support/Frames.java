package herald.support;

import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Client requests as the README writes them, as text frame payloads: {@code Frames.subscribe(2,
 * "document:42")} is {@code {"id":2,"op":"subscribe","channel":"document:42"}}.
 */
public final class Frames {

  private static final JsonMapper JSON = JsonMapper.shared();

  private Frames() {}

  /** {@code connect} with a token. */
  public static String connect(long id, String token) {
    return request(id, "connect").put("token", token).toString();
  }

  /** {@code connect} without a token: anonymous, or confirming the handshake's token. */
  public static String connect(long id) {
    return request(id, "connect").toString();
  }

  public static String subscribe(long id, String channel) {
    return request(id, "subscribe").put("channel", channel).toString();
  }

  /** {@code subscribe} recovering everything after {@code offset} of {@code epoch}. */
  public static String subscribe(long id, String channel, long offset, String epoch) {
    ObjectNode frame = request(id, "subscribe").put("channel", channel);
    frame.set("since", since(offset, epoch));
    return frame.toString();
  }

  public static String unsubscribe(long id, String channel) {
    return request(id, "unsubscribe").put("channel", channel).toString();
  }

  /** {@code publish}; {@code data} is any value Jackson can turn into JSON. */
  public static String publish(long id, String channel, Object data) {
    ObjectNode frame = request(id, "publish").put("channel", channel);
    frame.set("data", json(data));
    return frame.toString();
  }

  public static String history(long id, String channel) {
    return history(id, channel, null, null, null);
  }

  /** {@code history} with optional {@code since} (offset and epoch together) and {@code limit}. */
  public static String history(
      long id,
      String channel,
      @Nullable Long sinceOffset,
      @Nullable String sinceEpoch,
      @Nullable Integer limit) {
    ObjectNode frame = request(id, "history").put("channel", channel);
    if (sinceOffset != null && sinceEpoch != null) {
      frame.set("since", since(sinceOffset, sinceEpoch));
    }
    if (limit != null) {
      frame.put("limit", limit.intValue());
    }
    return frame.toString();
  }

  public static String presence(long id, String channel) {
    return request(id, "presence").put("channel", channel).toString();
  }

  public static String refresh(long id, String token) {
    return request(id, "refresh").put("token", token).toString();
  }

  public static String ping(long id) {
    return request(id, "ping").toString();
  }

  /** A stream position: {@code {"offset":17,"epoch":"k3J9"}}. */
  public static ObjectNode since(long offset, String epoch) {
    return JSON.createObjectNode().put("offset", offset).put("epoch", epoch);
  }

  /** {@code value} as a JSON tree. */
  public static JsonNode json(Object value) {
    return value instanceof JsonNode node ? node : JSON.valueToTree(value);
  }

  private static ObjectNode request(long id, String op) {
    return JSON.createObjectNode().put("id", id).put("op", op);
  }
}
