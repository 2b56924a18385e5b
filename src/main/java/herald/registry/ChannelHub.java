package herald.registry;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * One channel on this node: its local subscriptions and the state of the node's single upstream
 * subscription to the engine.
 *
 * <p>{@link #add}, {@link #remove} and {@link #isIdle} are only called inside the registry's
 * per-channel {@code compute}, which serialises them; delivery iterates concurrently.
 */
final class ChannelHub {

  private static final Logger log = LoggerFactory.getLogger(ChannelHub.class);

  private final ChannelName channel;
  private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
  private boolean upstreamWanted;
  private Mono<Void> upstream = Mono.empty();

  ChannelHub(ChannelName channel) {
    this.channel = channel;
  }

  ChannelName channel() {
    return channel;
  }

  /** Adds a subscription; returns true when the node must now subscribe upstream. */
  boolean add(Subscription subscription) {
    subscriptions.add(subscription);
    boolean subscribeUpstream = !upstreamWanted;
    upstreamWanted = true;
    return subscribeUpstream;
  }

  /** Removes a subscription; returns true when the node must now unsubscribe upstream. */
  boolean remove(Subscription subscription) {
    boolean removed = subscriptions.remove(subscription);
    boolean unsubscribeUpstream = removed && subscriptions.isEmpty() && upstreamWanted;
    if (unsubscribeUpstream) {
      upstreamWanted = false;
    }
    return unsubscribeUpstream;
  }

  /** The latest upstream operation; later operations chain after it so they apply in order. */
  Mono<Void> upstream() {
    return upstream;
  }

  void upstream(Mono<Void> latest) {
    this.upstream = latest;
  }

  /** Whether the hub can be dropped: nobody holds it and {@code lastOperation} was the last one. */
  boolean isIdle(Mono<Void> lastOperation) {
    return subscriptions.isEmpty() && !upstreamWanted && upstream == lastOperation;
  }

  int size() {
    return subscriptions.size();
  }

  void deliver(Publication publication) {
    forEach(subscription -> subscription.offer(publication));
  }

  void join(ClientInfo client) {
    forEach(subscription -> subscription.onJoin(client));
  }

  void reset(StreamPosition position) {
    forEach(subscription -> subscription.reset(position));
  }

  void leave(ClientInfo client) {
    forEach(subscription -> subscription.onLeave(client));
  }

  /** One subscriber's failure (a bug) is logged and does not keep the event from the others. */
  private void forEach(Consumer<Subscription> event) {
    for (Subscription subscription : subscriptions) {
      try {
        event.accept(subscription);
      } catch (RuntimeException failure) {
        log.error("an event of {} could not reach a subscriber", channel, failure);
      }
    }
  }
}
