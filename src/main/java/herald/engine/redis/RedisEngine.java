package herald.engine.redis;

import herald.channel.ChannelName;
import herald.channel.ChannelOptionsResolver;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.Engine;
import herald.engine.EngineListener;
import herald.engine.Epochs;
import herald.engine.HistoryPage;
import herald.engine.HistoryQuery;
import herald.engine.PresencePage;
import herald.engine.PresenceQuery;
import herald.engine.PublishOutcome;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The cluster engine: offsets, history and presence live in Redis, and publications reach every
 * node that holds subscribers over Redis pub/sub. It composes {@link RedisConnector} (connections,
 * circuit breakers, the bounded queue of subscriber work), {@link RedisPublications} (publish and
 * history scripts), {@link RecoveryReads} (one read per channel for concurrent resubscribes),
 * {@link NodeSubscriptions} (pub/sub, ordered gap-filling feeds) and {@link RedisPresence}.
 *
 * <p>The engine starts without Redis: it connects in the background, and until Redis is reachable
 * every operation fails at once with {@code EngineUnavailableException} (503) and {@link #ping()}
 * fails, so readiness is DOWN while the node stays alive and keeps its clients.
 *
 * <p>Threads: results and deliveries come on Lettuce's I/O threads; nothing here blocks, except
 * {@link #close()}.
 */
final class RedisEngine implements Engine, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RedisEngine.class);

  private final String instance = Epochs.next();
  private final RedisConnector connector;
  private final RedisPublications publications;
  private final RecoveryReads recoveryReads;
  private final NodeSubscriptions subscriptions;
  private final RedisPresence presence;
  private final OffsetFence fence;

  /**
   * @throws IllegalArgumentException naming {@code herald.redis.url} when it is missing or
   *     malformed; an unreachable Redis is no error
   */
  RedisEngine(RedisProperties properties, ChannelOptionsResolver options, JsonMapper json) {
    this.connector = new RedisConnector(properties);
    this.publications = new RedisPublications(connector, options, json);
    this.recoveryReads =
        new RecoveryReads(
            (channel, since) -> publications.history(channel, HistoryQuery.after(since)),
            Schedulers.parallel());
    this.fence = new OffsetFence(connector);
    this.subscriptions =
        new NodeSubscriptions(
            connector,
            publications,
            json,
            properties.pubsubConnections(),
            properties.commandTimeout(),
            instance,
            fence);
    fence.onMoved(subscriptions::resync);
    this.presence =
        new RedisPresence(
            connector, subscriptions, options, json, properties.presenceTtl(), instance);
    log.info(
        "engine=redis instance={} target={} pubsub-connections={} started",
        instance,
        connector.target(),
        properties.pubsubConnections());
  }

  /** Whether every pub/sub connection is open now; for metrics. */
  boolean pubSubConnected() {
    return subscriptions.isConnected();
  }

  /** This node's pub/sub subscriptions; for tests. */
  NodeSubscriptions subscriptions() {
    return subscriptions;
  }

  /** The connection to Redis, for other classes of this package (cluster-wide control). */
  RedisConnector connector() {
    return connector;
  }

  @Override
  public void attach(EngineListener listener) {
    subscriptions.attach(listener);
  }

  @Override
  public Mono<Publication> publish(ChannelName channel, JsonNode data, @Nullable String from) {
    return publications
        .publish(channel, data, from)
        .flatMap(fence::published)
        .flatMap(subscriptions::deliveredHere);
  }

  @Override
  public Mono<PublishOutcome> publishOnce(
      ChannelName channel, JsonNode data, String idempotencyKey, Duration window) {
    return publications
        .publishOnce(channel, data, idempotencyKey, window)
        .flatMap(
            once ->
                once.repeat()
                    ? Mono.just(new PublishOutcome(once.publication().position(), true))
                    : fence
                        .published(once.publication())
                        .flatMap(subscriptions::deliveredHere)
                        .map(published -> new PublishOutcome(published.position(), false)));
  }

  /**
   * Reads of everything after a position (what every resubscribe with {@code since} asks) are
   * shared by the callers asking for the same channel at the same time; other reads run on their
   * own.
   */
  @Override
  public Mono<HistoryPage> history(ChannelName channel, HistoryQuery query) {
    StreamPosition since = query.since();
    if (since != null && query.limit() == HistoryQuery.ALL) {
      return recoveryReads.after(channel, since);
    }
    return publications.history(channel, query);
  }

  @Override
  public Mono<Void> subscribe(ChannelName channel) {
    return subscriptions.subscribe(channel);
  }

  @Override
  public Mono<Void> unsubscribe(ChannelName channel) {
    return subscriptions.unsubscribe(channel);
  }

  @Override
  public Mono<Void> join(ChannelName channel, ClientInfo client) {
    return presence.join(channel, client);
  }

  @Override
  public Mono<Void> leave(ChannelName channel, ClientInfo client) {
    return presence.leave(channel, client);
  }

  @Override
  public Mono<PresencePage> presence(ChannelName channel, PresenceQuery query) {
    return presence.presence(channel, query);
  }

  /**
   * Ready when every pub/sub connection is open and a PING through the circuit breaker answers: a
   * node that could publish but not deliver is not ready.
   */
  @Override
  public Mono<Void> ping() {
    return Mono.defer(
        () ->
            subscriptions.isConnected()
                ? connector.ping()
                : Mono.error(RedisConnector.notConnected()));
  }

  @Override
  public void close() {
    presence.close();
    fence.close();
    subscriptions.close();
    connector.close();
    log.info("engine=redis instance={} closed", instance);
  }
}
