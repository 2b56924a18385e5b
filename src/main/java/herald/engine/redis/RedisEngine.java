package herald.engine.redis;

import herald.channel.ChannelName;
import herald.channel.ChannelOptions;
import herald.channel.ChannelOptionsResolver;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.Engine;
import herald.engine.EngineListener;
import herald.engine.EngineUnavailableException;
import herald.engine.Epochs;
import herald.engine.HistoryPage;
import herald.engine.HistoryQuery;
import herald.protocol.HeraldException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.reactive.RedisReactiveCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.pubsub.api.reactive.ChannelMessage;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.util.concurrent.Queues;
import reactor.util.retry.Retry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The cluster engine: offsets, history and presence live in Redis, and publications reach every
 * node that holds subscribers over Redis pub/sub.
 *
 * <p>Each publication is one Lua script that assigns the offset, appends to the history and
 * publishes, atomically ({@link RedisScripts}). A node SUBSCRIBEs only to the channels its clients
 * hold, spread over a few pub/sub connections; per channel a {@link ChannelFeed} delivers to the
 * listener in offset order and fills any gap (a lost message, a pub/sub reconnect) from history
 * first.
 *
 * <p>Failure policy: every command goes through one circuit breaker and a short command timeout,
 * and commands are rejected at once while the connection is down, so when Redis is unreachable
 * publishes and history reads fail fast with {@link EngineUnavailableException} (503) and the node
 * keeps its client connections. Lettuce reconnects by itself; on reconnect every subscribed channel
 * is read again and its gap filled.
 *
 * <p>Threads: results and deliveries come on Lettuce's I/O threads; nothing here blocks, except
 * opening the connections in the constructor and {@link #close()}.
 */
final class RedisEngine implements Engine, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RedisEngine.class);

  private static final Duration MIN_META_TTL = Duration.ofHours(1);
  private static final int PENDING_LIMIT = 10_000;
  private static final int FILL_ATTEMPTS = 30;

  private final ChannelOptionsResolver options;
  private final JsonMapper json;
  private final RedisProperties properties;
  private final String instance = Epochs.next();
  private final ClientResources resources;
  private final RedisClient client;
  private final StatefulRedisConnection<String, String> connection;
  private final RedisReactiveCommands<String, String> commands;
  private final List<StatefulRedisPubSubConnection<String, String>> pubsub = new ArrayList<>();
  private final CircuitBreaker breaker;
  private final Map<ChannelName, ChannelFeed> feeds = new ConcurrentHashMap<>();
  private final Map<ChannelName, Map<String, ClientInfo>> localPresence = new ConcurrentHashMap<>();
  // Bounded: a reconnect storm beyond it is dropped with a warning; each entry resyncs a
  // connection.
  private final Sinks.Many<Integer> reconnects =
      Sinks.many().unicast().onBackpressureBuffer(Queues.<Integer>get(256).get());
  private final Disposable.Composite loops = Disposables.composite();
  private volatile EngineListener listener = EngineListener.NONE;

  RedisEngine(RedisProperties properties, ChannelOptionsResolver options, JsonMapper json) {
    String url = properties.url();
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("herald.redis.url must be set for the Redis engine");
    }
    this.properties = properties;
    this.options = options;
    this.json = json;
    this.breaker = CircuitBreaker.of("herald-redis-" + instance, breakerConfig(properties));
    this.resources =
        DefaultClientResources.builder()
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(50), Duration.ofSeconds(1), 2, TimeUnit.MILLISECONDS))
            .build();
    RedisURI uri = RedisURI.create(url);
    uri.setTimeout(properties.commandTimeout());
    this.client = RedisClient.create(resources, uri);
    client.setOptions(clientOptions(properties));
    try {
      this.connection = client.connect();
      for (int i = 0; i < properties.pubsubConnections(); i++) {
        pubsub.add(openPubSub(i));
      }
    } catch (RuntimeException e) {
      loops.dispose();
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      resources.shutdown(0, 2, TimeUnit.SECONDS);
      throw new IllegalStateException(
          "cannot connect to Redis at herald.redis.url ("
              + uri.getHost()
              + ":"
              + uri.getPort()
              + ")",
          e);
    }
    this.commands = connection.reactive();
    loops.add(
        reconnects
            .asFlux()
            .concatMap(this::resubscribe)
            .subscribe(done -> {}, error -> log.error("redis resubscriber stopped", error)));
    Duration refresh = properties.presenceTtl().dividedBy(3);
    loops.add(
        Flux.interval(refresh, refresh, Schedulers.parallel())
            .onBackpressureDrop()
            .concatMap(tick -> refreshPresence())
            .subscribe(done -> {}, error -> log.error("presence refresher stopped", error)));
    log.info(
        "engine=redis instance={} pubsub-connections={} started",
        instance,
        properties.pubsubConnections());
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

  private StatefulRedisPubSubConnection<String, String> openPubSub(int index) {
    StatefulRedisPubSubConnection<String, String> pubsubConnection = client.connectPubSub();
    pubsubConnection.addListener(new Reconnects(index));
    loops.add(
        pubsubConnection
            .reactive()
            // Dropped messages (none while this subscriber keeps up) show as gaps, filled from
            // history.
            .observeChannels(FluxSink.OverflowStrategy.DROP)
            .subscribe(this::onMessage, error -> log.error("pub/sub listener stopped", error)));
    return pubsubConnection;
  }

  @Override
  public void attach(EngineListener listener) {
    this.listener = listener;
  }

  @Override
  public Mono<Publication> publish(ChannelName channel, JsonNode data, @Nullable String from) {
    return Mono.defer(
        () -> {
          ChannelOptions channelOptions = options.optionsFor(channel);
          String[] keys = {RedisKeys.meta(channel), RedisKeys.history(channel)};
          String[] args = {
            Epochs.next(),
            json.writeValueAsString(data),
            from == null ? "0" : "1",
            from == null ? "" : from,
            Integer.toString(channelOptions.historySize()),
            Long.toString(channelOptions.historyTtl().toMillis()),
            Long.toString(metaTtl(channelOptions).toMillis()),
            RedisKeys.pubsub(channel)
          };
          return run(RedisScripts.PUBLISH, keys, args)
              .map(reply -> published(channel, data, from, reply))
              .flatMap(this::deliveredHere);
        });
  }

  private static Publication published(
      ChannelName channel, JsonNode data, @Nullable String from, List<Object> reply) {
    long offset = asLong(reply.get(0));
    String epoch = String.valueOf(reply.get(1));
    long ts = asLong(reply.get(2));
    return new Publication(channel, offset, epoch, data, ts, from);
  }

  /**
   * When this node is subscribed, waits (briefly, bounded) until its listener has the publication,
   * so that a publish seen complete here has been delivered here, as with the in-memory engine.
   */
  private Mono<Publication> deliveredHere(Publication publication) {
    ChannelFeed feed = feeds.get(publication.channel());
    if (feed == null) {
      return Mono.just(publication);
    }
    return feed.delivered(publication).thenReturn(publication);
  }

  @Override
  public Mono<HistoryPage> history(ChannelName channel, HistoryQuery query) {
    return Mono.defer(
        () -> {
          ChannelOptions channelOptions = options.optionsFor(channel);
          StreamPosition since = query.since();
          String[] keys = {RedisKeys.meta(channel), RedisKeys.history(channel)};
          String[] args = {
            Epochs.next(),
            Long.toString(metaTtl(channelOptions).toMillis()),
            Long.toString(channelOptions.historyTtl().toMillis()),
            since == null ? "" : Long.toString(since.offset()),
            since == null ? "" : since.epoch(),
            query.limit() == HistoryQuery.ALL ? "-1" : Integer.toString(query.limit())
          };
          return run(RedisScripts.HISTORY, keys, args).map(reply -> page(channel, reply));
        });
  }

  private HistoryPage page(ChannelName channel, List<Object> reply) {
    String epoch = String.valueOf(reply.get(0));
    long offset = asLong(reply.get(1));
    boolean recovered = asLong(reply.get(2)) == 1;
    List<Publication> publications = new ArrayList<>(reply.size() - 3);
    for (int i = 3; i < reply.size(); i++) {
      publications.add(toPublication(channel, json.readTree(String.valueOf(reply.get(i)))));
    }
    return new HistoryPage(publications, new StreamPosition(offset, epoch), recovered);
  }

  private static Publication toPublication(ChannelName channel, JsonNode payload) {
    JsonNode from = payload.get("from");
    return new Publication(
        channel,
        payload.get("offset").asLong(),
        payload.get("epoch").asString(),
        payload.get("data"),
        payload.get("ts").asLong(),
        from == null || from.isNull() ? null : from.asString());
  }

  @Override
  public Mono<Void> subscribe(ChannelName channel) {
    return Mono.defer(
        () -> {
          int index = Math.floorMod(channel.hashCode(), pubsub.size());
          ChannelFeed feed =
              new ChannelFeed(
                  channel,
                  index,
                  () -> listener,
                  position -> fillAfter(channel, position),
                  PENDING_LIMIT,
                  properties.commandTimeout());
          ChannelFeed previous = feeds.put(channel, feed);
          if (previous != null) {
            previous.close();
          }
          return guard(pubsub.get(index).reactive().subscribe(RedisKeys.pubsub(channel)))
              .then(history(channel, HistoryQuery.positionOnly()))
              .doOnNext(page -> feed.start(page.latest()))
              .then()
              .doOnError(error -> dropFeed(feed));
        });
  }

  @Override
  public Mono<Void> unsubscribe(ChannelName channel) {
    return Mono.defer(
        () -> {
          ChannelFeed feed = feeds.remove(channel);
          if (feed == null) {
            return Mono.empty();
          }
          feed.close();
          return guard(
              pubsub.get(feed.connection()).reactive().unsubscribe(RedisKeys.pubsub(channel)));
        });
  }

  private void dropFeed(ChannelFeed feed) {
    if (feeds.remove(feed.channel(), feed)) {
      feed.close();
    }
  }

  /** The history after {@code position}, retried while Redis is unreachable. */
  private Mono<HistoryPage> fillAfter(ChannelName channel, StreamPosition position) {
    return history(channel, HistoryQuery.after(position)).retryWhen(unavailableRetry());
  }

  @Override
  public Mono<Void> join(ChannelName channel, ClientInfo client) {
    return Mono.defer(
        () -> {
          ChannelOptions channelOptions = options.optionsFor(channel);
          if (!channelOptions.presence()) {
            return Mono.empty();
          }
          localPresence
              .computeIfAbsent(channel, c -> new ConcurrentHashMap<>())
              .put(client.client(), client);
          return joinScript(channel, client, channelOptions.joinLeave())
              .doOnSuccess(done -> announceHere(channel, client, true, channelOptions));
        });
  }

  private Mono<Void> joinScript(ChannelName channel, ClientInfo client, boolean announce) {
    String[] keys = {RedisKeys.presence(channel), RedisKeys.clients(channel)};
    String[] args = {
      client.client(),
      json.writeValueAsString(clientNode(client)),
      Long.toString(properties.presenceTtl().toMillis()),
      announce ? "1" : "0",
      RedisKeys.pubsub(channel),
      announcement("join", client)
    };
    return run(RedisScripts.JOIN, keys, args).then();
  }

  @Override
  public Mono<Void> leave(ChannelName channel, ClientInfo client) {
    return Mono.defer(
        () -> {
          ChannelOptions channelOptions = options.optionsFor(channel);
          localPresence.computeIfPresent(
              channel,
              (c, clients) -> {
                clients.remove(client.client());
                return clients.isEmpty() ? null : clients;
              });
          String[] keys = {RedisKeys.presence(channel), RedisKeys.clients(channel)};
          String[] args = {
            client.client(),
            channelOptions.joinLeave() ? "1" : "0",
            RedisKeys.pubsub(channel),
            announcement("leave", client)
          };
          return run(RedisScripts.LEAVE, keys, args)
              .filter(reply -> !reply.isEmpty() && asLong(reply.get(0)) == 1)
              .doOnNext(removed -> announceHere(channel, client, false, channelOptions))
              .then();
        });
  }

  /** Joins and leaves of this node reach its own listener directly, not through pub/sub. */
  private void announceHere(
      ChannelName channel, ClientInfo client, boolean join, ChannelOptions channelOptions) {
    ChannelFeed feed = feeds.get(channel);
    if (feed != null && channelOptions.joinLeave()) {
      feed.announce(client, join);
    }
  }

  @Override
  public Mono<List<ClientInfo>> presence(ChannelName channel) {
    return Mono.defer(
        () -> {
          String[] keys = {RedisKeys.presence(channel), RedisKeys.clients(channel)};
          return run(RedisScripts.PRESENCE, keys, new String[0])
              .map(
                  reply ->
                      reply.stream()
                          .map(entry -> toClient(json.readTree(String.valueOf(entry))))
                          .toList());
        });
  }

  private Mono<Void> refreshPresence() {
    return Flux.fromIterable(localPresence.entrySet())
        .concatMap(
            entry ->
                Flux.fromIterable(List.copyOf(entry.getValue().values()))
                    .concatMap(client -> joinScript(entry.getKey(), client, false)))
        .onErrorResume(
            error -> {
              log.debug("presence refresh failed: {}", error.toString());
              return Mono.empty();
            })
        .then();
  }

  /** Never throws: an exception would end the pub/sub subscription of every channel it carries. */
  private void onMessage(ChannelMessage<String, String> message) {
    try {
      dispatch(message);
    } catch (RuntimeException e) {
      log.error("pub/sub message for {} not delivered", message.getChannel(), e);
    }
  }

  private void dispatch(ChannelMessage<String, String> message) {
    ChannelName channel = RedisKeys.channelOf(message.getChannel());
    ChannelFeed feed = channel == null ? null : feeds.get(channel);
    if (feed == null) {
      return;
    }
    JsonNode payload;
    try {
      payload = json.readTree(message.getMessage());
    } catch (RuntimeException e) {
      log.warn("channel={} unreadable pub/sub message dropped", channel);
      return;
    }
    if (payload.has("offset")) {
      feed.offer(toPublication(feed.channel(), payload));
      return;
    }
    JsonNode origin = payload.get("origin");
    if (origin != null && instance.equals(origin.asString())) {
      return;
    }
    if (payload.has("join")) {
      feed.announce(toClient(payload.get("join")), true);
    } else if (payload.has("leave")) {
      feed.announce(toClient(payload.get("leave")), false);
    }
  }

  private String announcement(String kind, ClientInfo client) {
    ObjectNode node = json.createObjectNode();
    node.set(kind, clientNode(client));
    node.put("origin", instance);
    return json.writeValueAsString(node);
  }

  private ObjectNode clientNode(ClientInfo client) {
    ObjectNode node = json.createObjectNode();
    node.put("user", client.user());
    node.put("client", client.client());
    node.put("node", client.node());
    return node;
  }

  private static ClientInfo toClient(JsonNode node) {
    return new ClientInfo(
        node.get("user").asString(), node.get("client").asString(), node.get("node").asString());
  }

  /**
   * After pub/sub connection {@code index} came back: SUBSCRIBE again (Lettuce does too; ours,
   * queued after its own, tells when it is done), then fill every channel's gap.
   */
  private Mono<Void> resubscribe(int index) {
    List<ChannelFeed> affected =
        feeds.values().stream().filter(feed -> feed.connection() == index).toList();
    if (affected.isEmpty()) {
      return Mono.empty();
    }
    String[] channels =
        affected.stream().map(f -> RedisKeys.pubsub(f.channel())).toArray(String[]::new);
    log.info("engine=redis connection={} channels={} resubscribing", index, channels.length);
    return guard(pubsub.get(index).reactive().subscribe(channels))
        .retryWhen(unavailableRetry())
        .doOnSuccess(done -> affected.forEach(ChannelFeed::resync))
        .onErrorResume(
            error -> {
              log.warn(
                  "engine=redis connection={} resubscribe failed: {}", index, error.toString());
              return Mono.empty();
            });
  }

  private static Retry unavailableRetry() {
    return Retry.backoff(FILL_ATTEMPTS, Duration.ofMillis(100))
        .maxBackoff(Duration.ofSeconds(1))
        .filter(EngineUnavailableException.class::isInstance);
  }

  private Mono<List<Object>> run(RedisScripts.Script script, String[] keys, String[] args) {
    Mono<List<Object>> call =
        Mono.defer(
            () ->
                commands
                    .<Object>evalsha(script.sha(), ScriptOutputType.MULTI, keys, args)
                    .onErrorResume(
                        RedisNoScriptException.class,
                        missing ->
                            commands.<Object>eval(
                                script.source(), ScriptOutputType.MULTI, keys, args))
                    .next()
                    .map(RedisEngine::asList)
                    .defaultIfEmpty(List.of()));
    return guard(call);
  }

  /** The circuit breaker, and every failure as {@link EngineUnavailableException}. */
  /** A Redis PING through the circuit breaker: what readiness asks. */
  @Override
  public Mono<Void> ping() {
    return guard(commands.ping()).then();
  }

  private <T> Mono<T> guard(Mono<T> call) {
    return call.transformDeferred(CircuitBreakerOperator.of(breaker)).onErrorMap(this::unavailable);
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

  /** A script's reply as a list: a Lua table is one, a single value becomes one. */
  @SuppressWarnings("unchecked")
  private static List<Object> asList(Object reply) {
    return reply instanceof List<?> list ? (List<Object>) list : List.of(reply);
  }

  private static long asLong(Object value) {
    return value instanceof Number number ? number.longValue() : Long.parseLong(value.toString());
  }

  private static Duration metaTtl(ChannelOptions channelOptions) {
    Duration history = channelOptions.historyTtl().multipliedBy(2);
    return history.compareTo(MIN_META_TTL) > 0 ? history : MIN_META_TTL;
  }

  @Override
  public void close() {
    loops.dispose();
    feeds.values().forEach(ChannelFeed::close);
    feeds.clear();
    // Shutting the client down closes every connection it opened.
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
    log.info("engine=redis instance={} closed", instance);
  }

  /** Sends a reconnected pub/sub connection to {@link #resubscribe}. */
  private final class Reconnects implements RedisConnectionStateListener {
    private final int index;

    Reconnects(int index) {
      this.index = index;
    }

    @Override
    public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
      // Connections reconnect on different I/O threads; the sink takes one emission at a time.
      Sinks.EmitResult result;
      synchronized (reconnects) {
        result = reconnects.tryEmitNext(index);
      }
      if (result.isFailure()) {
        log.warn("engine=redis connection={} reconnect not handled: {}", index, result);
      }
    }
  }
}
