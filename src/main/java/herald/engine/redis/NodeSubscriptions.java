package herald.engine.redis;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.EngineListener;
import herald.engine.EngineUnavailableException;
import herald.engine.HistoryPage;
import herald.engine.HistoryQuery;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * This node's Redis pub/sub subscriptions: one {@link ChannelFeed} per channel its clients hold,
 * carried by {@link ChannelLinks}: {@link ClassicChannelLinks} on a standalone Redis, {@link
 * ShardedChannelLinks} on a Redis Cluster.
 *
 * <p>A channel is subscribed when the registry asks, which fails at once (503) while its connection
 * is down. Whenever the links subscribe channels again (a reconnect, a failover, a slot move), each
 * of those feeds reads what it missed from history, so subscribers see no gap; or, when Redis lost
 * it, are told to reset. Messages are dispatched on the connection's I/O thread.
 */
final class NodeSubscriptions implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(NodeSubscriptions.class);

  private static final int PENDING_LIMIT = 10_000;
  private static final int FILL_ATTEMPTS = 30;
  private static final Retry POSITION_RETRY =
      Retry.backoff(2, Duration.ofMillis(100))
          .filter(EngineUnavailableException.class::isInstance)
          // The last failure as it was, so that callers still answer 503 (retry later).
          .onRetryExhaustedThrow((spec, signal) -> signal.failure());

  private final RedisPublications publications;
  private final JsonMapper json;
  private final String instance;
  private final Duration deliveryWait;
  private final Map<ChannelName, ChannelFeed> feeds = new ConcurrentHashMap<>();
  private final ChannelLinks links;
  private final OffsetFence fence;
  private volatile EngineListener listener = EngineListener.NONE;

  /**
   * @param instance this engine's id, which marks its own join/leave announcements
   * @param deliveryWait the longest {@link #deliveredHere} waits
   */
  NodeSubscriptions(
      RedisConnector connector,
      RedisPublications publications,
      JsonMapper json,
      int connections,
      Duration deliveryWait,
      String instance,
      OffsetFence fence) {
    this.publications = publications;
    this.json = json;
    this.instance = instance;
    this.deliveryWait = deliveryWait;
    this.fence = fence;
    ChannelLinks.Owner owner = new Owner();
    this.links =
        connector.clusterClient() != null
            ? new ShardedChannelLinks(
                connector, connector.clusterClient(), connector.connectTimeout(), owner)
            : new ClassicChannelLinks(connector, connections, owner);
  }

  void attach(EngineListener listener) {
    this.listener = listener;
  }

  /** The links that carry the subscriptions; for tests. */
  ChannelLinks links() {
    return links;
  }

  /** Whether every pub/sub connection is open. */
  boolean isConnected() {
    return links.isConnected();
  }

  /** SUBSCRIBEs to {@code channel}; completes once its feed knows where it starts. */
  Mono<Void> subscribe(ChannelName channel) {
    return Mono.defer(
        () -> {
          ChannelFeed feed =
              new ChannelFeed(
                  channel,
                  () -> listener,
                  position -> fillAfter(channel, position),
                  PENDING_LIMIT,
                  deliveryWait);
          ChannelFeed previous = feeds.put(channel, feed);
          if (previous != null) {
            previous.close();
          }
          return links
              .subscribe(channel)
              // Every subscriber of the channel waits for this read: retried once or twice here
              // rather than failing them all.
              .then(publications.anchor(channel).retryWhen(POSITION_RETRY))
              .doOnNext(feed::start)
              .then()
              .doOnError(error -> dropFeed(feed));
        });
  }

  Mono<Void> unsubscribe(ChannelName channel) {
    return Mono.defer(
        () -> {
          ChannelFeed feed = feeds.remove(channel);
          if (feed == null) {
            return Mono.empty();
          }
          feed.close();
          return links.unsubscribe(channel);
        });
  }

  private void dropFeed(ChannelFeed feed) {
    if (feeds.remove(feed.channel(), feed)) {
      feed.close();
    }
  }

  /** The history after {@code position}, retried while Redis is unreachable. */
  /**
   * Reads what came after {@code position}. The channel is anchored first, as at subscribe: if
   * Redis lost it (a restart, a flush), the epoch the fill moves to is the one its next publication
   * will carry, not one made up by a read, so subscribers are reset once, not twice.
   */
  private Mono<HistoryPage> fillAfter(ChannelName channel, StreamPosition position) {
    return publications
        .anchor(channel)
        .then(publications.history(channel, HistoryQuery.after(position)))
        .retryWhen(
            Retry.backoff(FILL_ATTEMPTS, Duration.ofMillis(100))
                .maxBackoff(Duration.ofSeconds(1))
                .filter(EngineUnavailableException.class::isInstance));
  }

  /**
   * When this node is subscribed, waits (briefly, bounded) until its listener has the publication,
   * so that a publish seen complete here has been delivered here, as with the in-memory engine.
   */
  Mono<Publication> deliveredHere(Publication publication) {
    ChannelFeed feed = feeds.get(publication.channel());
    if (feed == null) {
      return Mono.just(publication);
    }
    return feed.delivered(publication).thenReturn(publication);
  }

  /** A join or leave of this node, for its own subscribers. */
  void announce(ChannelName channel, ClientInfo client, boolean join) {
    ChannelFeed feed = feeds.get(channel);
    if (feed != null) {
      feed.announce(client, join);
    }
  }

  /**
   * Reads what {@code channel} missed, as after a reconnect: when Redis reused offsets it had
   * acknowledged ({@link OffsetFence}), the read finds the channel's new epoch and resets.
   */
  void resync(ChannelName channel) {
    ChannelFeed feed = feeds.get(channel);
    if (feed != null) {
      feed.resync();
    }
  }

  private void dispatch(String redisChannel, String message) {
    ChannelName channel = RedisKeys.channelOf(redisChannel);
    ChannelFeed feed = channel == null ? null : feeds.get(channel);
    if (feed == null) {
      return;
    }
    JsonNode payload;
    try {
      payload = json.readTree(message);
    } catch (RuntimeException e) {
      log.warn("channel={} unreadable pub/sub message dropped", channel);
      return;
    }
    if (payload.has("offset")) {
      Publication publication = RedisPayloads.toPublication(feed.channel(), payload);
      fence.delivered(publication);
      feed.offer(publication);
      return;
    }
    JsonNode origin = payload.get("origin");
    if (origin != null && instance.equals(origin.asString())) {
      return;
    }
    if (payload.has("join")) {
      feed.announce(RedisPayloads.toClient(payload.get("join")), true);
    } else if (payload.has("leave")) {
      feed.announce(RedisPayloads.toClient(payload.get("leave")), false);
    }
  }

  /** The feeds as {@link ChannelLinks} see them. */
  private final class Owner implements ChannelLinks.Owner {

    @Override
    public Set<ChannelName> channels() {
      return feeds.keySet();
    }

    @Override
    public void resubscribed(Collection<ChannelName> channels) {
      channels.forEach(NodeSubscriptions.this::resync);
    }

    @Override
    public void message(String redisChannel, String message) {
      dispatch(redisChannel, message);
    }
  }

  @Override
  public void close() {
    links.close();
    feeds.values().forEach(ChannelFeed::close);
    feeds.clear();
  }
}
