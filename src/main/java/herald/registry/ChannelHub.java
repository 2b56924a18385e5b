package herald.registry;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * One channel on this node: its local subscriptions and the state of the node's single upstream
 * subscription to the engine.
 *
 * <p>Subscriptions are kept by the {@link Subscriber#lane() lane} of their subscriber: an event
 * reaches each lane as one task that hands it to every subscription there, rather than as one
 * hand-over per subscriber. A lane runs its tasks in the order they came, so each subscription
 * still sees the channel's events in the engine's order. Subscribers without a lane get them on the
 * engine's thread.
 *
 * <p>{@link #add}, {@link #remove} and {@link #isIdle} are only called inside the registry's
 * per-channel {@code compute}, which serialises them; delivery iterates concurrently.
 */
final class ChannelHub {

  private static final Logger log = LoggerFactory.getLogger(ChannelHub.class);

  private final ChannelName channel;
  private final Set<Subscription> direct = ConcurrentHashMap.newKeySet();
  private final Map<Executor, Set<Subscription>> byLane = new ConcurrentHashMap<>();
  private volatile int size;
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
    if (subscriptionsOf(subscription.subscriber().lane()).add(subscription)) {
      size++;
    }
    boolean subscribeUpstream = !upstreamWanted;
    upstreamWanted = true;
    return subscribeUpstream;
  }

  /** Removes a subscription; returns true when the node must now unsubscribe upstream. */
  boolean remove(Subscription subscription) {
    Executor lane = subscription.subscriber().lane();
    Set<Subscription> subscriptions = lane == null ? direct : byLane.get(lane);
    boolean removed = subscriptions != null && subscriptions.remove(subscription);
    if (removed) {
      size--;
      if (lane != null && subscriptions.isEmpty()) {
        byLane.remove(lane, subscriptions);
      }
    }
    boolean unsubscribeUpstream = removed && size == 0 && upstreamWanted;
    if (unsubscribeUpstream) {
      upstreamWanted = false;
    }
    return unsubscribeUpstream;
  }

  private Set<Subscription> subscriptionsOf(@Nullable Executor lane) {
    return lane == null
        ? direct
        : byLane.computeIfAbsent(lane, key -> ConcurrentHashMap.newKeySet());
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
    return size == 0 && !upstreamWanted && upstream == lastOperation;
  }

  int size() {
    return size;
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

  private void forEach(Consumer<Subscription> event) {
    byLane.forEach(
        (lane, subscriptions) -> {
          try {
            lane.execute(() -> each(subscriptions, event));
          } catch (RejectedExecutionException shuttingDown) {
            // The lane's event loop is shutting down, and its connections with it.
            log.debug("lane refused an event of {}: {}", channel, shuttingDown.toString());
          }
        });
    each(direct, event);
  }

  /** One subscriber's failure is logged and does not keep the event from the others. */
  private void each(Set<Subscription> subscriptions, Consumer<Subscription> event) {
    for (Subscription subscription : subscriptions) {
      try {
        event.accept(subscription);
      } catch (RuntimeException failure) {
        log.error("delivery to a subscriber of {} failed", channel, failure);
      }
    }
  }
}
