package herald.engine.redis;

import herald.engine.EngineUnavailableException;
import herald.protocol.HeraldException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * The node's way to Redis: it owns the Lettuce {@link ClientResources} and {@link RedisClient}, the
 * command connection and the circuit breaker, and turns every failure into {@link
 * EngineUnavailableException}.
 *
 * <p>Connections are opened in the background: the constructor only checks the URL, so a node
 * starts while Redis is down. Until the first connection succeeds, attempts repeat with backoff
 * (100 ms doubling to 2 s, with jitter), each bounded in time ({@link ConnectAttempt}), and every
 * call fails at once with {@link EngineUnavailableException}; after that, Lettuce reconnects by
 * itself. Nothing here blocks a caller's thread: connection attempts run on {@link
 * Schedulers#boundedElastic()} because resolving a host name may block.
 *
 * <p>Failure policy: every command has a short command timeout, and commands are rejected at once
 * while the connection is down, so when Redis is unreachable callers fail fast (503) instead of
 * piling up. Commands run in one of two lanes, each behind its own circuit breaker:
 *
 * <ul>
 *   <li>{@link #call}/{@link #run}: publishing and the node's own upkeep (readiness, the node
 *       directory, control messages). Few, and written at once.
 *   <li>{@link #callQueued}/{@link #runQueued}: work done for subscribers (subscribe positions,
 *       recovery and history reads, presence, connection claims), which comes in bursts as large as
 *       the node's connection count. At most {@code herald.redis.max-commands-in-flight} are on the
 *       connection at once; the rest wait in a queue of {@code herald.redis.max-queued-commands}.
 *       Their failures open only their own breaker, so a storm of resubscribes never stops
 *       publishing.
 * </ul>
 */
final class RedisConnector implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RedisConnector.class);

  /** The names of the two lanes' circuit breakers (the {@code name} tag of their metrics). */
  static final String DIRECT_LANE = "redis";

  static final String QUEUED_LANE = "redis-queued";

  private static final Duration FIRST_RETRY = Duration.ofMillis(100);
  private static final Duration LONGEST_RETRY = Duration.ofSeconds(2);

  private final RedisURI uri;
  private final ClientResources resources;
  private final RedisClient client;

  /** The lanes' breakers by name, for metrics; created here, one per lane, never more. */
  private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();

  private final CircuitBreaker breaker;
  private final CircuitBreaker queuedBreaker;
  private final CommandGate gate;
  private final Disposable.Composite loops = Disposables.composite();
  private final RedisListeners listeners;

  /**
   * How long one connection attempt may take before it is abandoned and made again: a TCP connect
   * and a handshake, twice over.
   */
  private final Duration attemptLimit;

  private volatile @Nullable StatefulRedisConnection<String, String> connection;
  private volatile boolean closed;

  /**
   * Checks the URL and starts connecting in the background.
   *
   * @throws IllegalArgumentException naming {@code herald.redis.url} when the URL is missing or
   *     malformed
   */
  RedisConnector(RedisProperties properties) {
    this.uri = RedisUrl.parse(properties.url());
    uri.setTimeout(properties.commandTimeout());
    this.attemptLimit =
        properties.connectTimeout().plus(properties.commandTimeout()).multipliedBy(2);
    this.breaker = breakers.circuitBreaker(DIRECT_LANE, breakerConfig(properties));
    // Timeouts do not count against the queued lane: its queue already sheds load when Redis is
    // slow, and a breaker opened by slowness would refuse a whole wave of resubscribes, which then
    // come back together. Connection failures still open it, so an unreachable Redis fails fast.
    this.queuedBreaker =
        breakers.circuitBreaker(
            QUEUED_LANE,
            CircuitBreakerConfig.from(breakerConfig(properties))
                .ignoreExceptions(RedisCommandTimeoutException.class)
                .build());
    this.gate =
        new CommandGate(
            properties.maxCommandsInFlight(),
            properties.maxQueuedCommands(),
            Schedulers.parallel());
    this.resources =
        DefaultClientResources.builder()
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(50), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
            .build();
    this.client = RedisClient.create(resources, uri);
    client.setOptions(clientOptions(properties));
    this.listeners = new RedisListeners(this);
    loops.add(
        connectInBackground("commands", () -> client.connectAsync(StringCodec.UTF8, uri))
            .subscribe(this::opened, error -> log.error("engine=redis connector stopped", error)));
  }

  private static CircuitBreakerConfig breakerConfig(RedisProperties properties) {
    return CircuitBreakerConfig.custom()
        .slidingWindowSize(10)
        .minimumNumberOfCalls(5)
        .failureRateThreshold(50)
        .waitDurationInOpenState(properties.breakerOpenDuration())
        .permittedNumberOfCallsInHalfOpenState(2)
        .build();
  }

  private static ClientOptions clientOptions(RedisProperties properties) {
    return ClientOptions.builder()
        .autoReconnect(true)
        // Fail at once while disconnected instead of queueing: the policy is 503 now, not later.
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(properties.commandTimeout()))
        .socketOptions(SocketOptions.builder().connectTimeout(properties.connectTimeout()).build())
        .build();
  }

  private void opened(StatefulRedisConnection<String, String> opened) {
    if (closed) {
      opened.closeAsync();
      return;
    }
    connection = opened;
  }

  /**
   * Opens a pub/sub connection in the background, retrying with backoff until it succeeds. Emits
   * once, on a Lettuce or bounded-elastic thread; never fails. Cancel to stop trying.
   */
  Mono<StatefulRedisPubSubConnection<String, String>> connectPubSub(String name) {
    return connectInBackground(name, () -> client.connectPubSubAsync(StringCodec.UTF8, uri));
  }

  private <C extends StatefulConnection<String, String>> Mono<C> connectInBackground(
      String name, Supplier<? extends CompletionStage<? extends C>> connect) {
    AtomicBoolean told = new AtomicBoolean();
    return ConnectAttempt.<C>within(
            attemptLimit, Schedulers.parallel(), connect, StatefulConnection::closeAsync)
        // Resolving the host name (or asking Sentinel) may block: not on a caller's thread.
        .subscribeOn(Schedulers.boundedElastic())
        .doOnError(error -> waiting(name, error, told))
        .retryWhen(
            Retry.backoff(Long.MAX_VALUE, FIRST_RETRY)
                .maxBackoff(LONGEST_RETRY)
                .filter(error -> !closed))
        .doOnNext(
            opened -> log.info("engine=redis connection={} target={} connected", name, target()));
  }

  private void waiting(String name, Throwable error, AtomicBoolean told) {
    // Once per connection: a long outage must not fill the log.
    if (told.compareAndSet(false, true)) {
      log.warn(
          "engine=redis connection={} target={} unreachable, retrying in the background: {}",
          name,
          target(),
          error.toString());
    }
  }

  /** Where the URL points, without credentials, for log lines and errors. */
  String target() {
    if (!uri.getSentinels().isEmpty()) {
      return "sentinel master " + uri.getSentinelMasterId();
    }
    return uri.getHost() + ":" + uri.getPort();
  }

  /**
   * Runs a command of the caller's in the direct lane: written at once, through the publishing
   * circuit breaker. For publishing and the node's own upkeep only; work done per subscriber goes
   * through {@link #callQueued}.
   *
   * <p>Cold: {@code command} is applied on subscription, to the reactive commands of the one shared
   * command connection (never close it, never use blocking or transaction commands on it). Fails
   * with {@link EngineUnavailableException} at once while Redis has not been reached yet, the
   * connection is down or the circuit is open, and when the command fails or times out ({@code
   * herald.redis.command-timeout}); every failure counts against the circuit breaker. Emits on a
   * Lettuce I/O thread; operators downstream must not block.
   */
  <T> Mono<T> call(Function<RedisReactiveCommands<String, String>, Mono<T>> command) {
    return Mono.defer(
        () -> {
          StatefulRedisConnection<String, String> current = connection;
          if (current == null) {
            return Mono.error(notConnected());
          }
          return guard(command.apply(current.reactive()));
        });
  }

  /**
   * {@link #call} in the queued lane, for work done per subscriber: the command waits for one of
   * {@code herald.redis.max-commands-in-flight} permits (its timeout starts only then), in a queue
   * of at most {@code herald.redis.max-queued-commands}; when that is full it fails at once with
   * {@link EngineUnavailableException}. Failures other than timeouts count against the queued
   * lane's own circuit breaker, never against the one that guards publishing. Emits on a {@link
   * Schedulers#parallel()} thread.
   */
  <T> Mono<T> callQueued(Function<RedisReactiveCommands<String, String>, Mono<T>> command) {
    return gate.admit(
            Mono.defer(
                () -> {
                  StatefulRedisConnection<String, String> current = connection;
                  if (current == null) {
                    return Mono.error(notConnected());
                  }
                  return guardQueued(command.apply(current.reactive()));
                }))
        // What callers do next (a handshake, a replay) must not hold up the I/O thread that reads
        // the connection's replies, or other commands would time out waiting to be read.
        .publishOn(Schedulers.parallel());
  }

  /**
   * {@link #call} for commands that answer with many values ({@code SCAN}, {@code HGETALL}…). The
   * whole stream counts as one call for the circuit breaker; its values arrive as Lettuce reads
   * them.
   */
  <T> Flux<T> callMany(Function<RedisReactiveCommands<String, String>, Flux<T>> command) {
    return Flux.defer(
        () -> {
          StatefulRedisConnection<String, String> current = connection;
          if (current == null) {
            return Flux.error(notConnected());
          }
          return command
              .apply(current.reactive())
              .transformDeferred(CircuitBreakerOperator.of(breaker))
              .onErrorMap(this::unavailable);
        });
  }

  /**
   * Runs one of {@link RedisScripts} by its SHA in the direct lane ({@link #call}), loading it when
   * Redis does not know it yet (after a restart or a {@code SCRIPT FLUSH}). Emits the reply as a
   * list.
   */
  Mono<List<Object>> run(RedisScripts.Script script, String[] keys, String[] args) {
    return call(commands -> script(commands, script, keys, args));
  }

  /** {@link #run} in the queued lane ({@link #callQueued}). */
  Mono<List<Object>> runQueued(RedisScripts.Script script, String[] keys, String[] args) {
    return callQueued(commands -> script(commands, script, keys, args));
  }

  private static Mono<List<Object>> script(
      RedisReactiveCommands<String, String> commands,
      RedisScripts.Script script,
      String[] keys,
      String[] args) {
    return commands
        .<Object>evalsha(script.sha(), ScriptOutputType.MULTI, keys, args)
        .onErrorResume(
            RedisNoScriptException.class,
            missing -> commands.<Object>eval(script.source(), ScriptOutputType.MULTI, keys, args))
        .next()
        .map(RedisConnector::asList)
        .defaultIfEmpty(List.of());
  }

  /** A Redis PING through the circuit breaker: what readiness asks. */
  Mono<Void> ping() {
    return call(RedisReactiveCommands::ping).then();
  }

  /**
   * Delivers every message published on the Redis pub/sub channel {@code redisChannel} to {@code
   * onMessage}, from now until the returned {@link Disposable} is disposed.
   *
   * <p>The subscription is kept by the connector: it is made as soon as Redis is reachable (also
   * when the node started without Redis), and made again after every reconnect, so a listener needs
   * no care of its own. Messages published while this node is disconnected are not delivered: Redis
   * pub/sub does not keep them. All listeners share one pub/sub connection, opened by the first
   * call. {@code onMessage} runs on a Lettuce I/O thread, one message at a time per channel, and
   * must not block; an exception it throws is logged and the listener stays. Meant for a handful of
   * fixed control channels (at most {@link RedisListeners#MAX_CHANNELS}), not for per-client
   * channels.
   *
   * @throws IllegalStateException when that many channels are already listened to
   */
  Disposable listen(String redisChannel, Consumer<String> onMessage) {
    return listeners.listen(redisChannel, onMessage);
  }

  /** Both lanes' circuit breakers. */
  CircuitBreakerRegistry breakers() {
    return breakers;
  }

  /** The queued lane's gate. */
  CommandGate gate() {
    return gate;
  }

  /** Whether the command connection is open now. */
  boolean isConnected() {
    StatefulRedisConnection<String, String> current = connection;
    return current != null && current.isOpen();
  }

  /**
   * The publishing lane's circuit breaker, and every failure as {@link EngineUnavailableException}.
   */
  <T> Mono<T> guard(Mono<T> call) {
    return call.transformDeferred(CircuitBreakerOperator.of(breaker)).onErrorMap(this::unavailable);
  }

  /**
   * The queued lane's circuit breaker (without its queue), and every failure as {@link
   * EngineUnavailableException}: for per-channel work outside the command connection, such as
   * pub/sub {@code SUBSCRIBE}s.
   */
  <T> Mono<T> guardQueued(Mono<T> call) {
    return call.transformDeferred(CircuitBreakerOperator.of(queuedBreaker))
        .onErrorMap(this::unavailable);
  }

  private Throwable unavailable(Throwable error) {
    if (error instanceof HeraldException) {
      return error;
    }
    if (error instanceof CallNotPermittedException) {
      return new EngineUnavailableException("engine unavailable: circuit open");
    }
    log.debug("engine=redis command failed: {}", error.toString());
    return new EngineUnavailableException("engine unavailable");
  }

  static EngineUnavailableException notConnected() {
    return new EngineUnavailableException("engine unavailable: not connected to Redis");
  }

  /** A script's reply as a list: a Lua table is one, a single value becomes one. */
  @SuppressWarnings("unchecked")
  private static List<Object> asList(Object reply) {
    return reply instanceof List<?> list ? (List<Object>) list : List.of(reply);
  }

  /**
   * Stops connecting and closes every connection. Blocks up to about two seconds: call it from a
   * shutdown thread, never from an event loop.
   */
  @Override
  public void close() {
    closed = true;
    loops.dispose();
    listeners.close();
    // Shutting the client down closes every connection it opened.
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
