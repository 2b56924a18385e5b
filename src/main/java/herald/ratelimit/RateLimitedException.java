package herald.ratelimit;

import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import java.time.Duration;

/** A request over a rate limit: 429, and when to retry. */
public final class RateLimitedException extends HeraldException {

  private final Duration retryAfter;

  public RateLimitedException(String message, Duration retryAfter) {
    super(ErrorCode.RATE_LIMITED, message);
    this.retryAfter = retryAfter;
  }

  /** How long the client should wait before trying again. */
  @Override
  public Duration retryAfter() {
    return retryAfter;
  }
}
