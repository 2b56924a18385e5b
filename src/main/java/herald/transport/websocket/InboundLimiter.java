package herald.transport.websocket;

import herald.observability.HeraldMetrics;
import herald.protocol.CloseCode;
import herald.protocol.Command;
import herald.protocol.ErrorCode;
import herald.protocol.Reply;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.reactor.ratelimiter.operator.RateLimiterOperator;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

/**
 * Applies one connection's inbound-frame limit. A frame over the limit is not carried out: it gets
 * a 429 reply. A client that keeps it up ({@code rejectionsBeforeClose} rejected frames in a row)
 * is closed with 4029.
 *
 * <p>The permit is taken when each frame's Mono is subscribed, inside the per-connection {@code
 * concatMap}, so frames are counted one by one and never park a thread (the timeout is zero).
 * Frames of one connection are handled one at a time, so the counter needs no synchronisation.
 */
final class InboundLimiter {

  private final @Nullable Supplier<RateLimiter> limiters;
  private @Nullable RateLimiter limiter; // made at the connection's first frame
  private final int rejectionsBeforeClose;
  private final WebSocketConnection connection;
  private final HeraldMetrics metrics;
  private int rejectedInARow;

  /**
   * @param limiters makes the connection's own limiter, at its first frame (most connections of a
   *     push server never send one: they keep no limiter), or {@code null} when limits are off
   */
  InboundLimiter(
      @Nullable Supplier<RateLimiter> limiters,
      int rejectionsBeforeClose,
      WebSocketConnection connection,
      HeraldMetrics metrics) {
    this.limiters = limiters;
    this.rejectionsBeforeClose = rejectionsBeforeClose;
    this.connection = connection;
    this.metrics = metrics;
  }

  Mono<Void> limit(Command command, Mono<Void> dispatch) {
    if (limiters == null) {
      return dispatch;
    }
    if (limiter == null) {
      limiter = limiters.get();
    }
    return dispatch
        .transformDeferred(RateLimiterOperator.of(limiter))
        .doOnSuccess(done -> rejectedInARow = 0)
        .onErrorResume(RequestNotPermitted.class, rejected -> reject(command));
  }

  private Mono<Void> reject(Command command) {
    return Mono.fromRunnable(
        () -> {
          metrics.rateLimited(HeraldMetrics.Limit.INBOUND_FRAMES);
          rejectedInARow++;
          if (rejectedInARow >= rejectionsBeforeClose) {
            connection.disconnect(CloseCode.RATE_LIMIT_EXCEEDED, "rate limit exceeded");
          } else {
            connection.reply(Reply.error(command.id(), ErrorCode.RATE_LIMITED, "rate limited"));
          }
        });
  }
}
