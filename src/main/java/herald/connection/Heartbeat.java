package herald.connection;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;

/**
 * The node's one heartbeat timer for every connection of a transport: each tick applies the
 * transport's beat (an SSE {@code : ping}, a WebSocket ping or its ping-timeout close) to every
 * connection added.
 *
 * <p>Why one timer and not a {@code Flux.interval} per connection: a per-connection interval is a
 * scheduled task plus a chain of operators that every idle connection holds for its whole life
 * (about half a kilobyte each); here a connection costs one entry in a set. A connection therefore
 * gets its first beat within one interval of opening rather than exactly one interval after it.
 *
 * @param <C> the transport's connection
 */
public final class Heartbeat<C> implements AutoCloseable {

  private final Set<C> connections = ConcurrentHashMap.newKeySet();
  private final Disposable ticks;

  /** Starts ticking every {@code interval} on {@code scheduler}, until {@link #close()}. */
  public Heartbeat(Duration interval, Scheduler scheduler, Consumer<? super C> beat) {
    this.ticks =
        Flux.interval(interval, scheduler)
            .onBackpressureDrop()
            .subscribe(tick -> connections.forEach(beat));
  }

  /** Beats {@code connection} on every tick until {@link #remove} is called. */
  public void add(C connection) {
    connections.add(connection);
  }

  public void remove(C connection) {
    connections.remove(connection);
  }

  /** Connections that get beats; for tests and metrics. */
  public int size() {
    return connections.size();
  }

  /** Stops the timer (Spring calls it when the context closes). */
  @Override
  public void close() {
    ticks.dispose();
  }
}
