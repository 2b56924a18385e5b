package herald.engine.redis;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * One sharded pub/sub connection to one master of a Redis Cluster, for {@link ShardedChannelLinks}.
 * It never reconnects: once lost, it is {@linkplain #isDead() dead} and its owner opens another to
 * whichever node serves the slots then, and subscribes again slot by slot.
 *
 * <p>It knows which channels Redis confirmed ({@code ssubscribe} replies, minus {@code
 * sunsubscribe} ones), so its owner can compare what it wants with what Redis holds. An {@code
 * sunsubscribe} it did not ask for (Redis drops the subscribers of a slot that moved away) is
 * reported to the owner. Messages come from the {@code smessage} callback, on the connection's I/O
 * thread.
 */
final class ShardLink {

  private static final Logger log = LoggerFactory.getLogger(ShardLink.class);

  private final String nodeId;
  private final String address;
  private final RedisConnector connector;
  private final Mono<StatefulRedisPubSubConnection<String, String>> connection;
  private final Set<String> confirmed = ConcurrentHashMap.newKeySet();
  private final Set<String> leaving = ConcurrentHashMap.newKeySet();
  private final Runnable broken;
  private volatile @Nullable StatefulRedisPubSubConnection<String, String> opened;
  private volatile boolean dead;

  /**
   * @param onMessage gets each message's Redis channel and body
   * @param unrequested gets a channel Redis unsubscribed this link from unasked
   * @param broken runs once when the connection is lost or cannot be opened
   */
  ShardLink(
      String nodeId,
      String host,
      int port,
      RedisConnector connector,
      Duration connectTimeout,
      BiConsumer<String, String> onMessage,
      Consumer<String> unrequested,
      Runnable broken) {
    this.nodeId = nodeId;
    this.address = host + ":" + port;
    this.connector = connector;
    this.broken = broken;
    this.connection =
        connector
            .connectPubSubTo(host, port)
            .timeout(connectTimeout)
            .doOnNext(opened -> prepare(opened, onMessage, unrequested))
            .doOnError(error -> died("connect failed: " + error))
            .cache();
  }

  private void prepare(
      StatefulRedisPubSubConnection<String, String> connection,
      BiConsumer<String, String> onMessage,
      Consumer<String> unrequested) {
    connection.addListener(
        new RedisPubSubAdapter<>() {
          @Override
          public void smessage(String channel, String message) {
            try {
              onMessage.accept(channel, message);
            } catch (RuntimeException e) {
              log.error("shard={} message on {} not handled", address, channel, e);
            }
          }

          @Override
          public void ssubscribed(String channel, long count) {
            confirmed.add(channel);
          }

          @Override
          public void sunsubscribed(String channel, long count) {
            confirmed.remove(channel);
            if (!leaving.remove(channel)) {
              unrequested.accept(channel);
            }
          }
        });
    connection.addListener(
        new RedisConnectionStateListener() {
          @Override
          public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
            died("disconnected");
          }

          @Override
          public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {}
        });
    opened = connection;
    if (dead) {
      connection.closeAsync();
    }
  }

  private void died(String why) {
    if (dead) {
      return;
    }
    dead = true;
    confirmed.clear();
    log.info("engine=redis shard={} node={} pub/sub link lost: {}", address, nodeId, why);
    broken.run();
  }

  String nodeId() {
    return nodeId;
  }

  String address() {
    return address;
  }

  /** Whether the connection was lost (or never opened); a dead link is replaced, never reused. */
  boolean isDead() {
    return dead;
  }

  boolean isConfirmed(String redisChannel) {
    return confirmed.contains(redisChannel);
  }

  /** The channels Redis confirmed on this link, as they are now. */
  Set<String> confirmed() {
    return Set.copyOf(confirmed);
  }

  /**
   * SSUBSCRIBEs to {@code channels}, which must share one slot (Redis refuses a command across
   * slots), once the connection is open. Fails with {@code EngineUnavailableException}.
   */
  Mono<Void> subscribe(Collection<String> channels) {
    String[] array = channels.toArray(String[]::new);
    return connection
        .onErrorMap(error -> RedisConnector.notConnected())
        .flatMap(current -> connector.guardQueued(current.reactive().ssubscribe(array)));
  }

  /** SUNSUBSCRIBEs from {@code channels} (of one slot); nothing to do on a dead link. */
  Mono<Void> unsubscribe(Collection<String> channels) {
    StatefulRedisPubSubConnection<String, String> current = opened;
    if (dead || current == null) {
      return Mono.empty();
    }
    leaving.addAll(channels);
    return connector.guardQueued(current.reactive().sunsubscribe(channels.toArray(String[]::new)));
  }

  /** Closes the connection; the link is dead from now on. */
  void close() {
    dead = true;
    confirmed.clear();
    StatefulRedisPubSubConnection<String, String> current = opened;
    if (current != null) {
      current.closeAsync();
    }
  }
}
