package herald.proxy;

import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A backend's answer to a proxy call, checked for shape before anything uses it: an object with
 * exactly one of {@code "result"} (an object) or {@code "error"} ({@code {"code":400-599,
 * "message":"..."}}).
 */
final class BackendAnswer {

  /** A backend's error message is passed to the client cut to this length. */
  static final int MAX_ERROR_MESSAGE = 500;

  private final @Nullable ObjectNode result;
  private final @Nullable HeraldException refusal;

  private BackendAnswer(@Nullable ObjectNode result, @Nullable HeraldException refusal) {
    this.result = result;
    this.refusal = refusal;
  }

  /**
   * The answer's {@code result} object.
   *
   * @throws HeraldException the backend's own error, with its code and message, when it answered
   *     one
   */
  ObjectNode result() {
    if (result == null) {
      throw Objects.requireNonNull(refusal);
    }
    return result;
  }

  /**
   * Reads an answer. A backend's {@code error} is a valid answer (the backend works; it said no),
   * so it is kept for {@link #result()} rather than thrown here, where a circuit breaker would
   * count it as a failure.
   *
   * @throws HeraldException 502 when it is not a valid answer
   */
  static BackendAnswer read(JsonNode answer) {
    if (!answer.isObject()) {
      throw malformed("not a JSON object");
    }
    JsonNode result = answer.get("result");
    JsonNode error = answer.get("error");
    if ((result == null) == (error == null)) {
      throw malformed("it must hold exactly one of \"result\" and \"error\"");
    }
    if (result != null) {
      if (!result.isObject()) {
        throw malformed("\"result\" must be an object");
      }
      return new BackendAnswer((ObjectNode) result, null);
    }
    return new BackendAnswer(null, refusal(error));
  }

  private static HeraldException refusal(JsonNode error) {
    JsonNode code = error.get("code");
    JsonNode message = error.get("message");
    if (!error.isObject()
        || code == null
        || !code.canConvertToExactIntegral()
        || !code.canConvertToInt()
        || code.asInt() < 400
        || code.asInt() > 599
        || message == null
        || !message.isString()) {
      throw malformed("\"error\" must be {\"code\": 400-599, \"message\": \"...\"}");
    }
    String text = message.asString();
    return HeraldException.fromBackend(
        code.asInt(),
        text.length() <= MAX_ERROR_MESSAGE ? text : text.substring(0, MAX_ERROR_MESSAGE) + "...");
  }

  private static HeraldException malformed(String problem) {
    return new HeraldException(ErrorCode.BAD_GATEWAY, "backend answer is malformed: " + problem);
  }
}
