package herald.transport.websocket;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;

/**
 * The node's one ping timer for every WebSocket connection: each tick closes the connections that
 * stayed silent past the ping timeout (1001) and pings the others.
 *
 * <p>Why one timer and not a {@code Flux.interval} per connection: a per-connection interval is a
 * scheduled task plus a chain of operators that every idle connection holds for its whole life
 * (about 400 bytes each); here a connection costs one entry in a set. A connection therefore gets
 * its first ping within one interval of opening rather than exactly one interval after it.
 */
final class WebSocketHeartbeat implements Disposable {

  private final Set<WebSocketConnection> connections = ConcurrentHashMap.newKeySet();
  private final Duration timeout;
  private final Disposable ticks;

  /** Starts ticking every {@code interval} on {@code scheduler}, until {@link #dispose()}. */
  WebSocketHeartbeat(Duration interval, Duration timeout, Scheduler scheduler) {
    this.timeout = timeout;
    this.ticks = Flux.interval(interval, scheduler).onBackpressureDrop().subscribe(tick -> beat());
  }

  /** Pings {@code connection} on every tick until {@link #remove} is called. */
  void add(WebSocketConnection connection) {
    connections.add(connection);
  }

  void remove(WebSocketConnection connection) {
    connections.remove(connection);
  }

  private void beat() {
    connections.forEach(connection -> connection.heartbeat(timeout));
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
