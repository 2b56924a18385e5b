package herald.connection;

import herald.security.Credentials;
import java.time.Instant;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

/**
 * One subscriber's wait for the expiry of the credentials a connection holds: a single task on
 * {@code scheduler}, re-armed on every replacement, and none at all for tokens without {@code exp}.
 *
 * <p>Why not a replay sink of credentials and a {@code switchMap} to {@code Mono.delay}: that costs
 * about half a kilobyte of operators per connection for as long as it lives, and most connections
 * never refresh their token.
 */
final class ExpiryTimer {

  private final MonoSink<Void> sink;
  private final Scheduler scheduler;
  private @Nullable Credentials armedFor; // guarded by this
  private @Nullable Disposable pending; // guarded by this
  private boolean cancelled; // guarded by this

  ExpiryTimer(MonoSink<Void> sink, Scheduler scheduler) {
    this.sink = sink;
    this.scheduler = scheduler;
  }

  /** Waits for {@code held} to expire instead of what was waited for before. */
  synchronized void arm(Credentials held) {
    if (cancelled) {
      return;
    }
    disposePending();
    armedFor = held;
    Instant expiresAt = held.expiresAt();
    if (expiresAt == null) {
      return;
    }
    long left = Math.max(0, expiresAt.toEpochMilli() - scheduler.now(TimeUnit.MILLISECONDS));
    try {
      pending = scheduler.schedule(() -> fire(held), left, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException shutDown) {
      sink.error(shutDown);
    }
  }

  /** The subscriber went away, or the connection ended. */
  synchronized void cancel() {
    cancelled = true;
    disposePending();
  }

  private void fire(Credentials held) {
    synchronized (this) {
      // A replacement armed since this task was scheduled wins, even if the task already started.
      if (cancelled || armedFor != held) {
        return;
      }
      cancelled = true;
    }
    sink.success();
  }

  private void disposePending() {
    if (pending != null) {
      pending.dispose();
      pending = null;
    }
  }
}
