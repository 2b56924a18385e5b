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
  private final int status;

  public HeraldException(ErrorCode code, String message) {
    this(code, code.code(), message);
  }

  private HeraldException(ErrorCode code, int status, String message) {
    super(message, null, false, false);
    this.code = code;
    this.status = status;
  }

  public ErrorCode code() {
    return code;
  }

  /**
   * The number the client sees (reply code, HTTP status): {@link #code()}'s, except for an error a
   * backend chose ({@link #fromBackend}).
   */
  public int status() {
    return status;
  }

  /**
   * An error a backend answered a publish proxy or {@code rpc} call with, passed on to the client
   * with the backend's own code (400-599) and message.
   */
  public static HeraldException fromBackend(int status, String message) {
    return new HeraldException(
        status < 500 ? ErrorCode.BAD_REQUEST : ErrorCode.BAD_GATEWAY, status, message);
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
