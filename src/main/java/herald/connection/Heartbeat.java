package herald.connection;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;

/**
 * The node's one heartbeat timer for every connection of a transport: every connection gets the
 * transport's beat (an SSE {@code : ping}, a WebSocket ping or its ping-timeout close) once per
 * interval.
 *
 * <p>Why one timer and not a {@code Flux.interval} per connection: a per-connection interval is a
 * scheduled task plus a chain of operators that every idle connection holds for its whole life
 * (about half a kilobyte each); here a connection costs one entry in a set.
 *
 * <p>Connections are spread over {@link #slices} sets by identity hash, and each tick, every {@code
 * interval / slices}, beats one set: a node's pings go out as a steady trickle rather than as one
 * burst of a write per connection every interval, which would hold up the deliveries behind it
 * (100k connections: about a second of writes at once). A connection therefore gets its first beat
 * within one interval of opening rather than exactly one interval after it, then one per interval.
 *
 * @param <C> the transport's connection
 */
public final class Heartbeat<C> implements AutoCloseable {

  /** The finest tick: a second, or the interval itself when it is shorter. */
  private static final Duration FINEST_TICK = Duration.ofSeconds(1);

  private static final int MAX_SLICES = 64;

  private final List<Set<C>> slices;
  private final Disposable ticks;

  /** Starts ticking on {@code scheduler}, until {@link #close()}. */
  public Heartbeat(Duration interval, Scheduler scheduler, Consumer<? super C> beat) {
    int count =
        (int) Math.max(1, Math.min(MAX_SLICES, interval.toMillis() / FINEST_TICK.toMillis()));
    List<Set<C>> sets = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      sets.add(ConcurrentHashMap.newKeySet());
    }
    this.slices = List.copyOf(sets);
    Duration tick = interval.dividedBy(count);
    this.ticks =
        Flux.interval(tick, scheduler)
            .onBackpressureDrop()
            .subscribe(n -> slices.get((int) (n % count)).forEach(beat));
  }

  /** Beats {@code connection} once per interval until {@link #remove} is called. */
  public void add(C connection) {
    sliceOf(connection).add(connection);
  }

  public void remove(C connection) {
    sliceOf(connection).remove(connection);
  }

  private Set<C> sliceOf(C connection) {
    return slices.get(Math.floorMod(System.identityHashCode(connection), slices.size()));
  }

  /** Connections that get beats; for tests and metrics. */
  public int size() {
    return slices.stream().mapToInt(Set::size).sum();
  }

  /** How many sets the connections are spread over: one is beaten per tick. */
  int slices() {
    return slices.size();
  }

  /** Stops the timer (Spring calls it when the context closes). */
  @Override
  public void close() {
    ticks.dispose();
  }
}
