package herald.engine.redis;

import herald.engine.EngineUnavailableException;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

/**
 * Bounds how many commands of one kind are on the Redis command connection at once; the rest wait
 * in a bounded queue, first come first served.
 *
 * <p>Why: Lettuce pipelines every command on one connection and starts each command's timeout when
 * it is written. Thousands of subscribes at once (a reconnect storm) would all be written at once
 * and time out together, behind each other. Behind the gate, a command's timeout starts only when
 * it is its turn, so it measures Redis, not the queue. Only when the queue is full does a caller
 * get {@link EngineUnavailableException} (503: retry later).
 *
 * <p>A waiter whose caller cancels leaves the queue; a permit is released exactly once, whether the
 * command completes, fails or is cancelled.
 */
final class CommandGate {

  private final int maxInFlight;
  private final int maxQueued;
  private final Scheduler handOver;
  private final ArrayDeque<Waiter> queue = new ArrayDeque<>();
  private int inFlight;

  /**
   * @param handOver where a queued command starts when a permit frees up: never on the thread that
   *     releases it, so that a run of commands failing at once (connection down) cannot recurse
   */
  CommandGate(int maxInFlight, int maxQueued, Scheduler handOver) {
    this.maxInFlight = maxInFlight;
    this.maxQueued = maxQueued;
    this.handOver = handOver;
  }

  /** Runs {@code command} (cold) once a permit is free, and frees the permit when it ends. */
  <T> Mono<T> admit(Mono<T> command) {
    return Mono.usingWhen(
        acquire(), permit -> command, permit -> Mono.fromRunnable(permit::release));
  }

  /** Commands running now. */
  synchronized int inFlight() {
    return inFlight;
  }

  /** Commands waiting for a permit now. */
  synchronized int queued() {
    return queue.size();
  }

  private Mono<Permit> acquire() {
    return Mono.create(
        sink -> {
          Waiter waiter = null;
          boolean granted = false;
          synchronized (this) {
            if (inFlight < maxInFlight) {
              inFlight++;
              granted = true;
            } else if (queue.size() < maxQueued) {
              waiter = new Waiter(sink);
              queue.addLast(waiter);
            }
          }
          if (granted) {
            sink.success(new Permit());
          } else if (waiter == null) {
            sink.error(
                new EngineUnavailableException(
                    "engine busy: too many Redis requests queued, retry later"));
          } else {
            Waiter queuedWaiter = waiter;
            sink.onCancel(() -> cancelled(queuedWaiter));
          }
        });
  }

  private void cancelled(Waiter waiter) {
    boolean stillQueued;
    synchronized (this) {
      stillQueued = queue.remove(waiter);
    }
    if (!stillQueued && waiter.permit != null) {
      // Granted while being cancelled: nobody will use it.
      waiter.permit.release();
    }
  }

  private void release() {
    Waiter next;
    synchronized (this) {
      next = queue.pollFirst();
      if (next == null) {
        inFlight--;
        return;
      }
      // The permit passes straight to the next waiter: inFlight stays.
      next.permit = new Permit();
    }
    Waiter granted = next;
    handOver.schedule(() -> granted.sink.success(granted.permit));
  }

  private static final class Waiter {
    private final MonoSink<Permit> sink;
    private volatile @Nullable Permit permit;

    Waiter(MonoSink<Permit> sink) {
      this.sink = sink;
    }
  }

  /** One slot on the connection; released at most once. */
  private final class Permit {
    private final AtomicBoolean released = new AtomicBoolean();

    void release() {
      if (released.compareAndSet(false, true)) {
        CommandGate.this.release();
      }
    }
  }
}
