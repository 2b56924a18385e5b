package herald.engine.redis;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.pubsub.api.reactive.ChannelMessage;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * One pub/sub connection to Redis that is always on its way up: opened in the background (also
 * while Redis is down at start-up), reconnected by Lettuce, which SUBSCRIBEs again to what it held.
 *
 * <p>After the first connect and after every reconnect the owner's catch-up runs (SUBSCRIBE what
 * the owner wants, fill what was missed), retried with backoff while Redis refuses it; a newer
 * (re)connect replaces a catch-up still in flight. Messages go to the owner's handler on the
 * connection's I/O thread, one at a time; an exception it throws is logged, never passed on, since
 * it would end delivery of every channel of the connection.
 */
final class PubSubLink implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(PubSubLink.class);

  private final String name;
  private final RedisConnector connector;
  private final Consumer<ChannelMessage<String, String>> onMessage;
  private final Function<PubSubLink, Mono<Void>> catchUp;
  private final Disposable.Composite loops = Disposables.composite();
  private final Disposable.Swap catchingUp = Disposables.swap();
  private volatile @Nullable StatefulRedisPubSubConnection<String, String> connection;

  /**
   * @param catchUp what to do with this link after every (re)connect; it must not block
   */
  PubSubLink(
      String name,
      RedisConnector connector,
      Consumer<ChannelMessage<String, String>> onMessage,
      Function<PubSubLink, Mono<Void>> catchUp) {
    this.name = name;
    this.connector = connector;
    this.onMessage = onMessage;
    this.catchUp = catchUp;
    loops.add(
        connector
            .connectPubSub(name)
            .subscribe(this::opened, error -> log.error("pub/sub {} stopped", name, error)));
  }

  private void opened(StatefulRedisPubSubConnection<String, String> opened) {
    if (loops.isDisposed()) {
      opened.closeAsync();
      return;
    }
    opened.addListener(new Reconnects());
    loops.add(
        opened
            .reactive()
            // Dropped messages (none while the handler keeps up) show as offset gaps, filled from
            // history.
            .observeChannels(FluxSink.OverflowStrategy.DROP)
            .subscribe(
                this::deliver, error -> log.error("pub/sub {} listener stopped", name, error)));
    connection = opened;
    connected();
  }

  private void deliver(ChannelMessage<String, String> message) {
    try {
      onMessage.accept(message);
    } catch (RuntimeException e) {
      log.error("pub/sub {} message on {} not handled", name, message.getChannel(), e);
    }
  }

  private void connected() {
    if (loops.isDisposed()) {
      return;
    }
    catchingUp.update(
        catchUp
            .apply(this)
            .retryWhen(
                Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(100))
                    .maxBackoff(Duration.ofSeconds(1))
                    .filter(error -> !loops.isDisposed()))
            .subscribe(
                done -> {}, error -> log.warn("pub/sub {} catch-up stopped: {}", name, error)));
  }

  /** Whether the connection is open now. */
  boolean isConnected() {
    StatefulRedisPubSubConnection<String, String> current = connection;
    return current != null && current.isOpen();
  }

  /**
   * SUBSCRIBEs to {@code channels} through the circuit breaker; fails at once with {@code
   * EngineUnavailableException} while the connection is not up (the catch-up subscribes later).
   */
  Mono<Void> subscribe(String... channels) {
    return Mono.defer(
        () -> {
          StatefulRedisPubSubConnection<String, String> current = connection;
          if (current == null) {
            return Mono.error(RedisConnector.notConnected());
          }
          return connector.guardQueued(current.reactive().subscribe(channels));
        });
  }

  /** UNSUBSCRIBEs from {@code channels}; nothing to do before the connection was opened. */
  Mono<Void> unsubscribe(String... channels) {
    return Mono.defer(
        () -> {
          StatefulRedisPubSubConnection<String, String> current = connection;
          if (current == null) {
            return Mono.empty();
          }
          return connector.guardQueued(current.reactive().unsubscribe(channels));
        });
  }

  /** Stops connecting and catching up; the connector's shutdown closes the connection. */
  @Override
  public void close() {
    loops.dispose();
    catchingUp.dispose();
  }

  /** Runs the catch-up after Lettuce reconnected. */
  private final class Reconnects implements RedisConnectionStateListener {
    @Override
    public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
      log.info("engine=redis connection={} reconnected", name);
      connected();
    }
  }
}
