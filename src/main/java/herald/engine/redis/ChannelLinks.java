package herald.engine.redis;

import herald.channel.ChannelName;
import java.util.Collection;
import java.util.Set;
import reactor.core.publisher.Mono;

/**
 * How a node's channel subscriptions reach Redis pub/sub: {@link ClassicChannelLinks} on a
 * standalone Redis ({@code SUBSCRIBE} over a few connections), {@link ShardedChannelLinks} on a
 * Redis Cluster ({@code SSUBSCRIBE}, one connection per master).
 *
 * <p>The links keep the subscriptions up by themselves: after a reconnect, a failover or a slot
 * move they subscribe again and tell their {@link Owner} which channels may have missed messages,
 * so that it fills the gaps from history.
 */
interface ChannelLinks extends AutoCloseable {

  /**
   * Subscribes to {@code channel}; fails with {@code EngineUnavailableException} when it cannot.
   */
  Mono<Void> subscribe(ChannelName channel);

  /** Unsubscribes from {@code channel}. */
  Mono<Void> unsubscribe(ChannelName channel);

  /** Whether every connection that carries subscriptions is open. */
  boolean isConnected();

  @Override
  void close();

  /** What the links report to. Called on Lettuce I/O threads; must not block. */
  interface Owner {

    /** The channels the node wants now. */
    Set<ChannelName> channels();

    /** {@code channels} are subscribed again after a break: what they missed must be read. */
    void resubscribed(Collection<ChannelName> channels);

    /** A message on the Redis pub/sub channel {@code redisChannel}. */
    void message(String redisChannel, String message);
  }
}
