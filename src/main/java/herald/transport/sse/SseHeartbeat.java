package herald.transport.sse;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;

/**
 * The node's one heartbeat timer for every SSE stream: each tick queues a {@code : ping} on every
 * open stream that has nothing else waiting.
 *
 * <p>Why one timer and not a {@code Flux.interval} per stream: a per-stream interval is a scheduled
 * task plus a chain of operators that every idle stream holds for its whole life (about half a
 * kilobyte each); here a stream costs one entry in a set. Pings of all streams are then sent
 * together, once per interval, which is all a proxy needs to keep an idle stream open.
 */
final class SseHeartbeat implements Disposable {

  private final Set<SseConnection> streams = ConcurrentHashMap.newKeySet();
  private final Disposable ticks;

  /** Starts ticking every {@code interval} on {@code scheduler}, until {@link #dispose()}. */
  SseHeartbeat(Duration interval, Scheduler scheduler) {
    this.ticks = Flux.interval(interval, scheduler).onBackpressureDrop().subscribe(tick -> beat());
  }

  /** Pings {@code stream} on every tick until {@link #remove} is called. */
  void add(SseConnection stream) {
    streams.add(stream);
  }

  void remove(SseConnection stream) {
    streams.remove(stream);
  }

  /** Streams that get pings; for tests and metrics. */
  int size() {
    return streams.size();
  }

  private void beat() {
    // A stream with events waiting is not idle (and a slow reader must not get more to hold).
    streams.forEach(SseConnection::ping);
  }

  @Override
  public void dispose() {
    ticks.dispose();
  }

  @Override
  public boolean isDisposed() {
    return ticks.isDisposed();
  }
}
