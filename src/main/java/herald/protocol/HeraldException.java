package herald.protocol;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A failure that a client is told about, with its {@link ErrorCode} and a message fit for clients.
 *
 * <p>These are flow control, not bugs, so no stack trace is filled in.
 */
public class HeraldException extends RuntimeException {

  private final ErrorCode code;

  public HeraldException(ErrorCode code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public ErrorCode code() {
    return code;
  }

  /** How long the client should wait before retrying, when that is known (rate limits). */
  public @Nullable Duration retryAfter() {
    return null;
  }

  public static HeraldException badRequest(String message) {
    return new HeraldException(ErrorCode.BAD_REQUEST, message);
  }

  public static HeraldException unauthorized(String message) {
    return new HeraldException(ErrorCode.UNAUTHORIZED, message);
  }

  public static HeraldException forbidden(String message) {
    return new HeraldException(ErrorCode.FORBIDDEN, message);
  }

  public static HeraldException tooLarge(String message) {
    return new HeraldException(ErrorCode.TOO_LARGE, message);
  }
}
