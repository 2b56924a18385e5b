package herald.engine.redis;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * One attempt to open a Redis connection, bounded in time.
 *
 * <p>Why: Lettuce bounds the TCP connect and the handshake, yet an attempt that never completes (a
 * future nobody completes, a connect task stuck behind a blocked worker) would leave the node
 * unready for good, with nothing in the log, since the retry only follows a failure. Past its limit
 * the attempt fails with a {@link TimeoutException}, so the caller's retry starts a new one; a
 * connection the abandoned attempt opens later is closed at once, never leaked.
 */
final class ConnectAttempt {

  private enum State {
    PENDING,
    DELIVERED,
    ABANDONED
  }

  private ConnectAttempt() {}

  /**
   * Calls {@code open} on subscription and emits its connection, or fails with its error, or with a
   * {@link TimeoutException} when it has done neither within {@code limit} (measured on {@code
   * timer}). A connection that arrives after the attempt timed out or was cancelled goes to {@code
   * discard}.
   */
  static <C> Mono<C> within(
      Duration limit,
      Scheduler timer,
      Supplier<? extends CompletionStage<? extends C>> open,
      Consumer<? super C> discard) {
    return Mono.create(
        sink -> {
          AtomicReference<State> state = new AtomicReference<>(State.PENDING);
          Disposable deadline =
              timer.schedule(
                  () -> {
                    if (state.compareAndSet(State.PENDING, State.ABANDONED)) {
                      sink.error(
                          new TimeoutException("no connection and no error within " + limit));
                    }
                  },
                  limit.toMillis(),
                  TimeUnit.MILLISECONDS);
          sink.onCancel(
              () -> {
                state.compareAndSet(State.PENDING, State.ABANDONED);
                deadline.dispose();
              });
          CompletionStage<? extends C> attempt;
          try {
            attempt = open.get();
          } catch (RuntimeException failedAtOnce) {
            attempt = CompletableFuture.failedFuture(failedAtOnce);
          }
          attempt.whenComplete(
              (opened, error) -> {
                if (!state.compareAndSet(State.PENDING, State.DELIVERED)) {
                  if (opened != null) {
                    discard.accept(opened);
                  }
                  return;
                }
                deadline.dispose();
                if (error != null) {
                  sink.error(unwrap(error));
                } else {
                  sink.success(opened);
                }
              });
        });
  }

  private static Throwable unwrap(Throwable error) {
    return error instanceof CompletionException && error.getCause() != null
        ? error.getCause()
        : error;
  }
}
