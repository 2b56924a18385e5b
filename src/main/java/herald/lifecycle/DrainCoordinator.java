package herald.lifecycle;

import herald.connection.ClientSession;
import herald.connection.ClientSessions;
import herald.protocol.CloseCode;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Drains the node when Spring stops it (SIGTERM closes the context through Spring Boot's shutdown
 * hook): readiness goes DOWN, new SSE and WebSocket connections are refused ({@link
 * DrainingFilter}), and every client is told to reconnect, WebSocket with a {@code disconnect} push
 * and close 1012, SSE with a {@code disconnect} event and the end of its stream, spread over {@code
 * herald.drain.window} ({@link DisconnectPlan}). Then Spring goes on with the web server's graceful
 * shutdown, which waits for the connections this ended to close.
 *
 * <p>Runs in the phase just before the web server's graceful shutdown: a phase that stopped the
 * server first would wait on connections nobody has told to go, and one that ran after it would
 * find them cut. The timer runs on a Reactor scheduler; the thread that closes the context only
 * waits on Spring's latch for {@link #stop(Runnable)}'s callback, bounded per phase
 * (DrainConfiguration).
 */
public final class DrainCoordinator implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(DrainCoordinator.class);

  /** Stopped just before the web server's graceful shutdown. */
  public static final int PHASE = WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE + 1;

  /**
   * How often the drain tells the clients whose turn came: one timer for every client rather than
   * one per client. Its first tick is also the least time between readiness going DOWN and the
   * first disconnect.
   */
  static final Duration TICK = Duration.ofMillis(100);

  static final String REASON = "node shutting down";

  /** What a new connection refused during the drain is told (503). */
  public static final String REFUSAL = "this node is shutting down; reconnect";

  /**
   * When a refused client should try again: long enough for the load balancer to see readiness
   * DOWN, short enough not to idle a client.
   */
  public static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  private final ClientSessions sessions;
  private final ApplicationEventPublisher events;
  private final Duration window;
  private final Scheduler scheduler;
  private final Random random;
  private volatile boolean running;
  private volatile boolean draining;
  private volatile Disposable drain = Disposables.disposed();

  DrainCoordinator(
      ClientSessions sessions,
      ApplicationEventPublisher events,
      DrainProperties properties,
      Scheduler scheduler,
      Random random) {
    this.sessions = sessions;
    this.events = events;
    this.window = properties.window();
    this.scheduler = scheduler;
    this.random = random;
  }

  /** Whether the node is draining: new client connections must be refused. */
  public boolean draining() {
    return draining;
  }

  @Override
  public void start() {
    draining = false;
    running = true;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }

  @Override
  public void stop() {
    stop(() -> {});
  }

  /**
   * Starts the drain and returns at once; {@code stopped} runs on the scheduler once every client
   * of this node has been told, including those that connected while the drain began: at the end of
   * the window, or after the first tick when the node holds no client.
   */
  @Override
  public void stop(Runnable stopped) {
    draining = true;
    // Spring Boot publishes the same when the context closes; saying it here keeps readiness DOWN
    // first also when only the lifecycle is stopped.
    AvailabilityChangeEvent.publish(events, this, ReadinessState.REFUSING_TRAFFIC);
    DisconnectPlan<ClientSession> plan = DisconnectPlan.spread(sessions.all(), window, random);
    log.info(
        "drain started: readiness DOWN, new connections refused, clients={} window={}",
        plan.size(),
        window);
    long began = scheduler.now(TimeUnit.MILLISECONDS);
    drain.dispose();
    drain =
        Flux.interval(TICK, TICK, scheduler)
            .onBackpressureDrop()
            .map(tick -> scheduler.now(TimeUnit.MILLISECONDS) - began)
            .doOnNext(elapsed -> tell(plan.due(elapsed)))
            // Done once the last client's turn came (within the window's last slot), at once when
            // there is none: waiting out the window then would only delay the exit.
            .takeUntil(elapsed -> plan.done())
            .then(Mono.fromRunnable(() -> tell(sessions.all())))
            .doFinally(signal -> finished(stopped, began, plan.size()))
            .subscribe();
  }

  /** Tells {@code clients} to reconnect; each ends its connection on its own event loop. */
  private static void tell(List<ClientSession> clients) {
    for (ClientSession client : clients) {
      try {
        // Idempotent: a client already told or gone is left as it is.
        client.disconnect(CloseCode.RESTART, REASON);
      } catch (RuntimeException e) {
        log.warn("client={} could not be told to reconnect: {}", client.id(), e.toString());
      }
    }
  }

  private void finished(Runnable stopped, long began, int told) {
    running = false;
    log.info(
        "drain finished: clients told={} in {} ms; the web server now waits for their connections",
        told,
        scheduler.now(TimeUnit.MILLISECONDS) - began);
    stopped.run();
  }
}
