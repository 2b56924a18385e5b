package herald.engine.redis;

import io.lettuce.core.pubsub.api.reactive.ChannelMessage;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * The handlers of {@link RedisConnector#listen}: fixed pub/sub channels (cluster-wide control
 * messages) on one pub/sub connection of their own, opened by the first listener, so that they
 * never queue behind the node's many channel subscriptions.
 */
final class RedisListeners implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RedisListeners.class);

  /** Control channels are few and fixed; more means a caller listens per client or per channel. */
  static final int MAX_CHANNELS = 64;

  private final RedisConnector connector;
  private final Map<String, List<Consumer<String>>> handlers = new ConcurrentHashMap<>();
  private volatile @Nullable PubSubLink link;
  private boolean closed;

  RedisListeners(RedisConnector connector) {
    this.connector = connector;
  }

  Disposable listen(String redisChannel, Consumer<String> onMessage) {
    PubSubLink current;
    synchronized (this) {
      if (closed) {
        throw new IllegalStateException("the Redis connector is closed");
      }
      if (!handlers.containsKey(redisChannel) && handlers.size() >= MAX_CHANNELS) {
        throw new IllegalStateException("at most " + MAX_CHANNELS + " control channels");
      }
      handlers.computeIfAbsent(redisChannel, c -> new CopyOnWriteArrayList<>()).add(onMessage);
      current = link;
      if (current == null) {
        // Its catch-up subscribes every channel in the map, this one included.
        link = new PubSubLink("control", connector, this::deliver, this::subscribeAll);
      }
    }
    if (current != null) {
      // Fails while the connection is down; its catch-up subscribes once it is up.
      current
          .subscribe(redisChannel)
          .subscribe(
              done -> {},
              error -> log.debug("channel={} listen deferred: {}", redisChannel, error.toString()));
    }
    return () -> unlisten(redisChannel, onMessage);
  }

  private void unlisten(String redisChannel, Consumer<String> onMessage) {
    PubSubLink current;
    synchronized (this) {
      List<Consumer<String>> list = handlers.get(redisChannel);
      if (list == null || !list.remove(onMessage) || !list.isEmpty()) {
        return;
      }
      handlers.remove(redisChannel);
      current = link;
    }
    if (current != null) {
      current
          .unsubscribe(redisChannel)
          .subscribe(
              done -> {}, error -> log.debug("channel={} unlisten: {}", redisChannel, error));
    }
  }

  private Mono<Void> subscribeAll(PubSubLink connected) {
    String[] channels = handlers.keySet().toArray(String[]::new);
    return channels.length == 0 ? Mono.empty() : connected.subscribe(channels);
  }

  private void deliver(ChannelMessage<String, String> message) {
    List<Consumer<String>> list = handlers.get(message.getChannel());
    if (list == null) {
      return;
    }
    for (Consumer<String> handler : list) {
      try {
        handler.accept(message.getMessage());
      } catch (RuntimeException e) {
        log.error("channel={} control message handler failed", message.getChannel(), e);
      }
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    PubSubLink current = link;
    if (current != null) {
      current.close();
    }
    handlers.clear();
  }
}
