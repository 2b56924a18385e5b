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
import reactor.core.publisher.Mono;

/**
 * One channel on this node: its local subscriptions and the state of the node's single upstream
 * subscription to the engine.
 *
 * <p>{@link #add}, {@link #remove} and {@link #isIdle} are only called inside the registry's
 * per-channel {@code compute}, which serialises them; delivery iterates concurrently.
 */
final class ChannelHub {

  private final ChannelName channel;
  private final Set<Subscription> subscriptions = ConcurrentHashMap.newKeySet();
  // The same subscriptions by lane (their connections' I/O threads): one hand-over per lane and
  // event, not one per subscriber, and each lane's share of the fan-out runs on its own thread.
  private final Map<Executor, Set<Subscription>> lanes = new ConcurrentHashMap<>();
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
    lanes
        .computeIfAbsent(subscription.subscriber().lane(), lane -> ConcurrentHashMap.newKeySet())
        .add(subscription);
    boolean subscribeUpstream = !upstreamWanted;
    upstreamWanted = true;
    return subscribeUpstream;
  }

  /** Removes a subscription; returns true when the node must now unsubscribe upstream. */
  boolean remove(Subscription subscription) {
    boolean removed = subscriptions.remove(subscription);
    lanes.computeIfPresent(
        subscription.subscriber().lane(),
        (lane, held) -> {
          held.remove(subscription);
          return held.isEmpty() ? null : held;
        });
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
    toEveryLane(subscription -> subscription.offer(publication));
  }

  void join(ClientInfo client) {
    toEveryLane(subscription -> subscription.onJoin(client));
  }

  void reset(StreamPosition position) {
    toEveryLane(subscription -> subscription.reset(position));
  }

  void leave(ClientInfo client) {
    toEveryLane(subscription -> subscription.onLeave(client));
  }

  /**
   * Hands {@code event} to every lane, which applies it to its subscriptions. The engine calls in
   * offset order, and every event goes through the lanes (never in line), so each lane, and so each
   * subscription, sees events in that order.
   */
  private void toEveryLane(Consumer<Subscription> event) {
    lanes.forEach(
        (lane, held) -> {
          try {
            lane.execute(
                () -> {
                  for (Subscription subscription : held) {
                    event.accept(subscription);
                  }
                });
          } catch (RejectedExecutionException shuttingDown) {
            // The lane's I/O thread is stopping: its connections are closing with it.
          }
        });
  }
}
