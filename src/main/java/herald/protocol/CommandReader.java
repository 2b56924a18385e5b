package herald.protocol;

import herald.channel.ChannelName;
import herald.channel.StreamPosition;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.NullNode;

/**
 * Reads a {@link Command} from a decoded frame tree, checking every field's presence and type. Any
 * problem becomes {@link Command.Invalid} with a message that names the field, never an exception.
 */
final class CommandReader {

  private static final Map<String, Set<String>> FIELDS =
      Map.of(
          "connect", Set.of("id", "op", "token"),
          "subscribe", Set.of("id", "op", "channel", "since"),
          "unsubscribe", Set.of("id", "op", "channel"),
          "publish", Set.of("id", "op", "channel", "data"),
          "history", Set.of("id", "op", "channel", "since", "limit"),
          "presence", Set.of("id", "op", "channel", "cursor", "limit"),
          "refresh", Set.of("id", "op", "token"),
          "rpc", Set.of("id", "op", "method", "data"),
          "ping", Set.of("id", "op"));

  /** The longest {@code rpc} method name. */
  static final int MAX_METHOD_LENGTH = 255;

  private CommandReader() {}

  static Command read(JsonNode frame) {
    if (!frame.isObject()) {
      return invalid(0, "a frame must be a JSON object");
    }
    long id = wholeNumber(frame.get("id"));
    if (id < 1) {
      return invalid(0, "field 'id' must be a positive integer");
    }
    try {
      return readOp(id, frame);
    } catch (BadField e) {
      return invalid(id, e.getMessage());
    }
  }

  private static Command readOp(long id, JsonNode frame) {
    JsonNode opNode = frame.get("op");
    if (opNode == null || !opNode.isString()) {
      throw new BadField("field 'op' must be a string");
    }
    String op = opNode.asString();
    Set<String> allowed = FIELDS.get(op);
    if (allowed == null) {
      throw new BadField("unknown op '" + truncate(op) + "'");
    }
    for (String field : frame.propertyNames()) {
      if (!allowed.contains(field)) {
        throw new BadField("unknown field '" + truncate(field) + "' for op '" + op + "'");
      }
    }
    return switch (op) {
      case "connect" -> new Command.Connect(id, optionalString(frame, "token"));
      case "subscribe" -> new Command.Subscribe(id, channel(frame), since(frame));
      case "unsubscribe" -> new Command.Unsubscribe(id, channel(frame));
      case "publish" -> new Command.Publish(id, channel(frame), data(frame));
      case "history" -> new Command.History(id, channel(frame), since(frame), limit(frame));
      case "presence" ->
          new Command.Presence(id, channel(frame), optionalString(frame, "cursor"), limit(frame));
      case "refresh" -> new Command.Refresh(id, requiredString(frame, "token"));
      case "rpc" -> new Command.Rpc(id, method(frame), optionalData(frame));
      default -> new Command.Ping(id);
    };
  }

  private static ChannelName channel(JsonNode frame) {
    String value = requiredString(frame, "channel");
    if (!ChannelName.isValid(value)) {
      throw new BadField("field 'channel' must be 1-255 characters of A-Z a-z 0-9 _ - . : @ =");
    }
    return ChannelName.of(value);
  }

  private static JsonNode data(JsonNode frame) {
    JsonNode data = frame.get("data");
    if (data == null || data.isMissingNode()) {
      throw new BadField("field 'data' is required");
    }
    return data;
  }

  private static String method(JsonNode frame) {
    String method = requiredString(frame, "method");
    if (method.isEmpty() || method.length() > MAX_METHOD_LENGTH) {
      throw new BadField("field 'method' must be 1-" + MAX_METHOD_LENGTH + " characters");
    }
    return method;
  }

  private static JsonNode optionalData(JsonNode frame) {
    JsonNode data = frame.get("data");
    return data == null || data.isMissingNode() ? NullNode.getInstance() : data;
  }

  private static @Nullable StreamPosition since(JsonNode frame) {
    JsonNode since = frame.get("since");
    if (since == null || since.isNull()) {
      return null;
    }
    if (!since.isObject()) {
      throw new BadField("field 'since' must be an object with 'offset' and 'epoch'");
    }
    long offset = wholeNumber(since.get("offset"));
    JsonNode epoch = since.get("epoch");
    if (offset < 0) {
      throw new BadField("field 'since.offset' must be a non-negative integer");
    }
    if (epoch == null || !epoch.isString()) {
      throw new BadField("field 'since.epoch' must be a string");
    }
    for (String field : since.propertyNames()) {
      if (!field.equals("offset") && !field.equals("epoch")) {
        throw new BadField("unknown field 'since." + truncate(field) + "'");
      }
    }
    return new StreamPosition(offset, epoch.asString());
  }

  private static @Nullable Integer limit(JsonNode frame) {
    JsonNode limit = frame.get("limit");
    if (limit == null || limit.isNull()) {
      return null;
    }
    long value = wholeNumber(limit);
    if (value < 0 || value > Integer.MAX_VALUE) {
      throw new BadField("field 'limit' must be a non-negative integer");
    }
    return (int) value;
  }

  /**
   * The value of a whole-number field, or -1 when it is missing, not a whole number, or out of the
   * range of {@code long}. Checked first because Jackson's {@code asLong()} throws for numbers out
   * of range, which would break the promise that decoding never throws.
   */
  private static long wholeNumber(@Nullable JsonNode node) {
    if (node == null || !node.canConvertToExactIntegral() || !node.canConvertToLong()) {
      return -1;
    }
    return node.asLong();
  }

  private static String requiredString(JsonNode frame, String field) {
    String value = optionalString(frame, field);
    if (value == null) {
      throw new BadField("field '" + field + "' must be a string");
    }
    return value;
  }

  private static @Nullable String optionalString(JsonNode frame, String field) {
    JsonNode node = frame.get(field);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isString()) {
      throw new BadField("field '" + field + "' must be a string");
    }
    return node.asString();
  }

  private static Command.Invalid invalid(long id, String message) {
    return new Command.Invalid(id, ErrorCode.BAD_REQUEST, message);
  }

  /** Client text echoed in errors is cut short, so a huge field name cannot make a huge reply. */
  private static String truncate(String text) {
    return text.length() <= 64 ? text : text.substring(0, 64) + "...";
  }

  private static final class BadField extends RuntimeException {
    BadField(String message) {
      super(message, null, false, false);
    }
  }
}
