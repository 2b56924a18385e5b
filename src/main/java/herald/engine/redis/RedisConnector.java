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
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.reactive.RedisClusterReactiveCommands;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.event.Event;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 *
 * <p>On a Redis Cluster, scripts on a channel's keys ({@link #run}, {@link #runQueued}) go through
 * their lane's breaker for the master of the channel's slot ({@link MasterBreakers}): a dead master
 * pauses its own slots, not every channel.
 */
final class RedisConnector implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RedisConnector.class);

  /** The names of the two lanes' circuit breakers (the {@code name} tag of their metrics). */
  static final String DIRECT_LANE = "redis";

  static final String QUEUED_LANE = "redis-queued";

  private static final Duration FIRST_RETRY = Duration.ofMillis(100);
  private static final Duration LONGEST_RETRY = Duration.ofSeconds(2);

  private final RedisURI uri;
  private final List<RedisURI> seeds;
  private final Duration connectTimeout;
  private final ClientResources resources;

  /**
   * Standalone: the client of every connection. Cluster: the client of the per-master sharded
   * pub/sub connections only, which never reconnect by themselves ({@link ShardedChannelLinks}).
   */
  private final RedisClient client;

  /** The client of the command and control connections on a Redis Cluster; null standalone. */
  private final @Nullable RedisClusterClient clusterClient;

  /**
   * The breakers by name, for metrics: one per lane, and on a Redis Cluster one per lane and master
   * ({@link MasterBreakers}).
   */
  private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();

  private final CircuitBreaker breaker;
  private final CircuitBreaker queuedBreaker;
  private final MasterBreakers masterBreakers = new MasterBreakers(breakers);
  private final CommandGate gate;
  private final Disposable.Composite loops = Disposables.composite();
  private final RedisListeners listeners;

  /** The sharded variants of the scripts run so far; as few as there are scripts. */
  private final Map<RedisScripts.Script, RedisScripts.Script> shardedScripts =
      new ConcurrentHashMap<>();

  /**
   * How long one connection attempt may take before it is abandoned and made again: a TCP connect
   * and a handshake, twice over.
   */
  private final Duration attemptLimit;

  private volatile @Nullable StatefulConnection<String, String> connection;
  private volatile @Nullable RedisClusterReactiveCommands<String, String> commands;
  private volatile boolean closed;

  /**
   * Checks the URL and starts connecting in the background.
   *
   * @throws IllegalArgumentException naming {@code herald.redis.url} when the URL is missing or
   *     malformed
   */
  RedisConnector(RedisProperties properties) {
    this.seeds =
        properties.cluster()
            ? RedisUrl.parseSeeds(properties.url())
            : List.of(RedisUrl.parse(properties.url()));
    this.uri = seeds.get(0);
    this.connectTimeout = properties.connectTimeout();
    seeds.forEach(seed -> seed.setTimeout(properties.commandTimeout()));
    this.attemptLimit =
        properties.connectTimeout().plus(properties.commandTimeout()).multipliedBy(2);
    this.breaker = breakers.circuitBreaker(DIRECT_LANE, breakerConfig(properties));
    // Timeouts do not count against the queued lane (a command's, or a sharded subscribe's wait for
    // its confirmation): its queue already sheds load when Redis is slow, and a breaker opened by
    // slowness would refuse a whole wave of resubscribes, which then come back together. Connection
    // failures still open it, so an unreachable Redis fails fast.
    this.queuedBreaker =
        breakers.circuitBreaker(
            QUEUED_LANE,
            CircuitBreakerConfig.from(breakerConfig(properties))
                .ignoreExceptions(RedisCommandTimeoutException.class, TimeoutException.class)
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
    if (properties.cluster()) {
      this.clusterClient = RedisClusterClient.create(resources, seeds);
      clusterClient.setOptions(clusterOptions(properties));
      this.client = RedisClient.create(resources);
      // Herald reconnects and resubscribes these itself: Lettuce would resend every sharded
      // channel of a connection in one SSUBSCRIBE, which Redis refuses across slots (CROSSSLOT).
      client.setOptions(
          ClientOptions.builder()
              .autoReconnect(false)
              .socketOptions(
                  SocketOptions.builder().connectTimeout(properties.connectTimeout()).build())
              .timeoutOptions(TimeoutOptions.enabled(properties.commandTimeout()))
              .build());
    } else {
      this.clusterClient = null;
      this.client = RedisClient.create(resources, uri);
      client.setOptions(clientOptions(properties));
    }
    this.listeners = new RedisListeners(this);
    loops.add(
        connectInBackground("commands", this::connectCommands)
            .subscribe(this::opened, error -> log.error("engine=redis connector stopped", error)));
  }

  private CompletionStage<? extends StatefulConnection<String, String>> connectCommands() {
    RedisClusterClient cluster = clusterClient;
    if (cluster != null) {
      // The cluster client connects only once it has read the topology, which it reads without
      // blocking here.
      return cluster
          .refreshPartitionsAsync()
          .thenCompose(read -> cluster.connectAsync(StringCodec.UTF8));
    }
    return client.connectAsync(StringCodec.UTF8, uri);
  }

  /**
   * The standalone options, plus topology refresh: periodic, and at once when a command meets
   * {@code MOVED}/{@code ASK} or a connection keeps failing (a master died), so that commands
   * follow slot moves and failovers by themselves.
   */
  private static ClusterClientOptions clusterOptions(RedisProperties properties) {
    return ClusterClientOptions.builder(clientOptions(properties))
        .topologyRefreshOptions(
            ClusterTopologyRefreshOptions.builder()
                .enablePeriodicRefresh(properties.topologyRefresh())
                .enableAllAdaptiveRefreshTriggers()
                .adaptiveRefreshTriggersTimeout(Duration.ofMillis(500))
                .refreshTriggersReconnectAttempts(1)
                .build())
        .build();
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

  @SuppressWarnings("unchecked")
  private void opened(StatefulConnection<String, String> opened) {
    if (closed) {
      opened.closeAsync();
      return;
    }
    commands =
        opened instanceof StatefulRedisClusterConnection<?, ?> cluster
            ? ((StatefulRedisClusterConnection<String, String>) cluster).reactive()
            : ((StatefulRedisConnection<String, String>) opened).reactive();
    connection = opened;
  }

  /**
   * Opens a pub/sub connection in the background, retrying with backoff until it succeeds. Emits
   * once, on a Lettuce or bounded-elastic thread; never fails. Cancel to stop trying.
   */
  Mono<StatefulRedisPubSubConnection<String, String>> connectPubSub(String name) {
    RedisClusterClient cluster = clusterClient;
    if (cluster != null) {
      // Classic pub/sub on any node of the cluster: a PUBLISH reaches every node.
      return connectInBackground(
          name,
          () ->
              cluster
                  .refreshPartitionsAsync()
                  .thenCompose(read -> cluster.connectPubSubAsync(StringCodec.UTF8))
                  .thenApply(opened -> (StatefulRedisPubSubConnection<String, String>) opened));
    }
    return connectInBackground(name, () -> client.connectPubSubAsync(StringCodec.UTF8, uri));
  }

  /**
   * Opens a pub/sub connection to one node of the cluster (for its sharded channels), once; it does
   * not reconnect by itself. Emits on a Lettuce thread; fails when the node cannot be reached or
   * has not answered within the attempt limit ({@link ConnectAttempt}).
   */
  Mono<StatefulRedisPubSubConnection<String, String>> connectPubSubTo(String host, int port) {
    RedisURI node = RedisURI.builder(uri).withHost(host).withPort(port).build();
    return ConnectAttempt.<StatefulRedisPubSubConnection<String, String>>within(
            attemptLimit,
            Schedulers.parallel(),
            () -> client.connectPubSubAsync(StringCodec.UTF8, node),
            StatefulConnection::closeAsync)
        .subscribeOn(Schedulers.boundedElastic());
  }

  /**
   * The cluster's topology as Lettuce knows it now, or null on a standalone Redis and until the
   * first connection to the cluster (before it, Lettuce would block to read it).
   */
  @Nullable Partitions partitions() {
    RedisClusterClient cluster = clusterClient;
    return cluster == null || connection == null ? null : cluster.getPartitions();
  }

  /** {@code herald.redis.connect-timeout}. */
  Duration connectTimeout() {
    return connectTimeout;
  }

  /** The Redis Cluster client, or null on a standalone Redis. */
  @Nullable RedisClusterClient clusterClient() {
    return clusterClient;
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
    if (clusterClient != null) {
      return "cluster "
          + String.join(
              ",", seeds.stream().map(seed -> seed.getHost() + ":" + seed.getPort()).toList());
    }
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
  <T> Mono<T> call(Function<RedisClusterReactiveCommands<String, String>, Mono<T>> command) {
    return call(command, null);
  }

  /** {@link #call} behind the breaker of the master of {@code key}'s slot, if it is known. */
  private <T> Mono<T> call(
      Function<RedisClusterReactiveCommands<String, String>, Mono<T>> command,
      @Nullable String key) {
    return Mono.defer(
        () -> {
          RedisClusterReactiveCommands<String, String> current = commands;
          if (current == null) {
            return Mono.error(notConnected());
          }
          return guard(command.apply(current), breakerFor(breaker, key));
        });
  }

  /**
   * {@code lane}'s breaker for the master that holds {@code key}'s slot on a Redis Cluster; {@code
   * lane} itself on a standalone Redis, for commands without a key and until the topology is read.
   */
  private CircuitBreaker breakerFor(CircuitBreaker lane, @Nullable String key) {
    Partitions partitions = key == null ? null : partitions();
    return partitions == null ? lane : masterBreakers.of(lane, partitions, key);
  }

  /**
   * {@link #call} in the queued lane, for work done per subscriber: the command waits for one of
   * {@code herald.redis.max-commands-in-flight} permits (its timeout starts only then), in a queue
   * of at most {@code herald.redis.max-queued-commands}; when that is full it fails at once with
   * {@link EngineUnavailableException}. Failures other than timeouts count against the queued
   * lane's own circuit breaker, never against the one that guards publishing. Emits on a {@link
   * Schedulers#parallel()} thread.
   */
  <T> Mono<T> callQueued(Function<RedisClusterReactiveCommands<String, String>, Mono<T>> command) {
    return callQueued(command, null);
  }

  /** {@link #callQueued} behind the queued lane's breaker of the master of {@code key}'s slot. */
  private <T> Mono<T> callQueued(
      Function<RedisClusterReactiveCommands<String, String>, Mono<T>> command,
      @Nullable String key) {
    return gate.admit(
            Mono.defer(
                () -> {
                  RedisClusterReactiveCommands<String, String> current = commands;
                  if (current == null) {
                    return Mono.error(notConnected());
                  }
                  return guard(command.apply(current), breakerFor(queuedBreaker, key));
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
  <T> Flux<T> callMany(Function<RedisClusterReactiveCommands<String, String>, Flux<T>> command) {
    return Flux.defer(
        () -> {
          RedisClusterReactiveCommands<String, String> current = commands;
          if (current == null) {
            return Flux.error(notConnected());
          }
          return command
              .apply(current)
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
    RedisScripts.Script variant = variant(script);
    return call(commands -> script(commands, variant, keys, args), firstKey(keys));
  }

  /** {@link #run} in the queued lane ({@link #callQueued}). */
  Mono<List<Object>> runQueued(RedisScripts.Script script, String[] keys, String[] args) {
    RedisScripts.Script variant = variant(script);
    return callQueued(commands -> script(commands, variant, keys, args), firstKey(keys));
  }

  /** A script's keys all share one slot (one channel's hash tag): its first key names it. */
  private static @Nullable String firstKey(String[] keys) {
    return keys.length == 0 ? null : keys[0];
  }

  /**
   * On a Redis Cluster, the script with sharded publishing ({@link RedisScripts.Script#sharded});
   * on a standalone Redis the script as it is, which also runs on Redis 6.
   */
  private RedisScripts.Script variant(RedisScripts.Script script) {
    if (clusterClient == null) {
      return script;
    }
    return shardedScripts.computeIfAbsent(script, RedisScripts.Script::sharded);
  }

  /** Lettuce's events (connections, topology changes), as they happen; hot, never completes. */
  Flux<Event> events() {
    return resources.eventBus().get();
  }

  private static Mono<List<Object>> script(
      RedisClusterReactiveCommands<String, String> commands,
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
    return call(RedisClusterReactiveCommands::ping).then();
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
    StatefulConnection<String, String> current = connection;
    return current != null && current.isOpen();
  }

  /**
   * The publishing lane's circuit breaker, and every failure as {@link EngineUnavailableException}.
   */
  <T> Mono<T> guard(Mono<T> call) {
    return guard(call, breaker);
  }

  /**
   * The queued lane's circuit breaker (without its queue), and every failure as {@link
   * EngineUnavailableException}: for per-channel work outside the command connection, such as
   * pub/sub {@code SUBSCRIBE}s.
   */
  <T> Mono<T> guardQueued(Mono<T> call) {
    return guard(call, queuedBreaker);
  }

  /**
   * {@link #guardQueued} behind the queued lane's breaker of the master at {@code address} ({@code
   * host:port}): for sharded subscribes, sent on that master's own connection.
   */
  <T> Mono<T> guardQueued(Mono<T> call, String address) {
    return guard(call, masterBreakers.at(queuedBreaker, address, partitions()));
  }

  private <T> Mono<T> guard(Mono<T> call, CircuitBreaker circuit) {
    return call.transformDeferred(CircuitBreakerOperator.of(circuit)).onErrorMap(this::unavailable);
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
   * Stops connecting and closes every connection. Blocks up to about six seconds: call it from a
   * shutdown thread, never from an event loop.
   */
  @Override
  public void close() {
    closed = true;
    loops.dispose();
    listeners.close();
    // Shutting a client down closes every connection it opened.
    RedisClusterClient cluster = clusterClient;
    if (cluster != null) {
      awaitShutdown(cluster.shutdownAsync(0, 2, TimeUnit.SECONDS));
    }
    awaitShutdown(client.shutdownAsync(0, 2, TimeUnit.SECONDS));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }

  /**
   * Waits a bounded time: Lettuce's own {@code shutdown} waits without bound for its connections to
   * close, which a connection to a cluster node that died may never do.
   */
  private static void awaitShutdown(java.util.concurrent.Future<?> shutdown) {
    try {
      shutdown.get(3, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      log.warn("engine=redis shutdown incomplete: {}", e.toString());
    }
  }
}
