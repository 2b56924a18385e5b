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
import reactor.core.publisher.Sinks;

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

  private static final Duration CONFIRM_WITHIN = Duration.ofSeconds(2);

  private final String nodeId;
  private final String address;
  private final RedisConnector connector;
  private final Mono<StatefulRedisPubSubConnection<String, String>> connection;
  private final Set<String> confirmed = ConcurrentHashMap.newKeySet();
  private final Set<String> leaving = ConcurrentHashMap.newKeySet();
  private final Set<String> pending = ConcurrentHashMap.newKeySet();

  /** Each channel Redis confirms, for the subscribes waiting for it; nothing is buffered. */
  private final Sinks.Many<String> confirmations = Sinks.many().multicast().directBestEffort();

  private final Consumer<Boolean> broken;
  private volatile @Nullable StatefulRedisPubSubConnection<String, String> opened;
  private volatile boolean dead;

  /**
   * @param onMessage gets each message's Redis channel and body
   * @param unrequested gets a channel Redis unsubscribed this link from unasked
   * @param broken runs once when the connection is lost or cannot be opened; with {@code true} when
   *     an open connection was lost (worth trying again at once), {@code false} when it could not
   *     be opened (the node may be dead: try again a little later)
   */
  ShardLink(
      String nodeId,
      String host,
      int port,
      RedisConnector connector,
      Duration connectTimeout,
      BiConsumer<String, String> onMessage,
      Consumer<String> unrequested,
      Consumer<Boolean> broken) {
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
            confirmations.tryEmitNext(channel);
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
    boolean wasOpen = opened != null;
    if (wasOpen) {
      log.info("engine=redis shard={} node={} pub/sub link lost: {}", address, nodeId, why);
    } else {
      log.debug("engine=redis shard={} node={} pub/sub link not opened: {}", address, nodeId, why);
    }
    broken.accept(wasOpen);
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

  /** Whether an SSUBSCRIBE of {@code redisChannel} is on its way. */
  boolean isPending(String redisChannel) {
    return pending.contains(redisChannel);
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
    Set<String> wanted = Set.copyOf(channels);
    String[] array = wanted.toArray(String[]::new);
    return connection
        .onErrorMap(error -> RedisConnector.notConnected())
        .flatMap(
            current -> {
              // Done when Redis confirmed every channel, as the listener hears it: under load,
              // Lettuce 6.8 left pipelined SSUBSCRIBE commands incomplete though Redis had
              // confirmed them (seen with 10,000 channels). A refusal (MOVED) still fails it.
              Mono<Void> confirmed =
                  confirmations
                      .asFlux()
                      .filter(wanted::contains)
                      .distinct()
                      .take(wanted.size())
                      .then();
              Mono<Void> sent =
                  Mono.defer(
                          () -> {
                            pending.addAll(wanted);
                            return current.reactive().ssubscribe(array);
                          })
                      .then(Mono.never());
              return connector.guardQueued(
                  Mono.firstWithSignal(confirmed, sent).timeout(CONFIRM_WITHIN), address);
            })
        .doFinally(signal -> pending.removeAll(wanted));
  }

  /** SUNSUBSCRIBEs from {@code channels} (of one slot); nothing to do on a dead link. */
  Mono<Void> unsubscribe(Collection<String> channels) {
    StatefulRedisPubSubConnection<String, String> current = opened;
    if (dead || current == null) {
      return Mono.empty();
    }
    leaving.addAll(channels);
    return connector.guardQueued(
        current.reactive().sunsubscribe(channels.toArray(String[]::new)), address);
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
