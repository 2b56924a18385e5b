package herald.registry;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.Engine;
import herald.engine.EngineListener;
import herald.engine.EngineUnavailableException;
import herald.engine.HistoryQuery;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The node's channel registry: every transport subscribes through it, and it holds exactly one
 * upstream engine subscription per channel however many local subscribers the channel has.
 *
 * <p>Publications arrive from the engine on the engine's thread and are handed, as the same object,
 * to every local subscription of the channel; encoding happens once per wire format downstream.
 */
public final class ChannelRegistry implements EngineListener {

  private static final Logger log = LoggerFactory.getLogger(ChannelRegistry.class);

  private final Engine engine;
  private final int pendingLimit;
  private final Map<ChannelName, ChannelHub> hubs = new ConcurrentHashMap<>();

  /**
   * @param pendingLimit how many live publications one subscription may buffer while it recovers;
   *     past that its subscriber is told it overflowed
   */
  public ChannelRegistry(Engine engine, int pendingLimit) {
    this.engine = engine;
    this.pendingLimit = pendingLimit;
    engine.attach(this);
  }

  /**
   * Subscribes {@code subscriber} to {@code channel}, recovering from {@code since} when given.
   *
   * <p>Cold. When the engine subscription is live and the history is read, {@code beforeReplay}
   * runs (to queue the transport's reply), then the missed publications and every later one are
   * delivered to the subscriber in offset order. Emits the subscription, which the caller must
   * {@linkplain #unsubscribe release}; if the returned Mono is cancelled or fails, the subscription
   * is released here.
   */
  public Mono<Subscription> subscribe(
      ChannelName channel,
      @Nullable StreamPosition since,
      Subscriber subscriber,
      Consumer<Recovery> beforeReplay) {
    return Mono.defer(
        () -> {
          Subscription subscription = new Subscription(channel, subscriber, pendingLimit);
          HistoryQuery query =
              since == null ? HistoryQuery.positionOnly() : HistoryQuery.after(since);
          return attach(subscription)
              .then(engine.history(channel, query))
              .doOnNext(page -> subscription.goLive(page, since, beforeReplay))
              .thenReturn(subscription)
              .doOnError(error -> release(subscription))
              .doOnCancel(() -> release(subscription));
        });
  }

  /**
   * Releases {@code subscription}: no more deliveries; the upstream goes when the last one does.
   */
  public void unsubscribe(Subscription subscription) {
    release(subscription);
  }

  /** Local subscriber counts per channel, sorted by channel name. */
  public Map<String, Integer> subscriberCounts() {
    Map<String, Integer> counts = new TreeMap<>();
    hubs.forEach(
        (channel, hub) -> {
          if (hub.size() > 0) {
            counts.put(channel.value(), hub.size());
          }
        });
    return counts;
  }

  /** How many channels this node holds a hub for (some may be on their way out). */
  public int channelCount() {
    return hubs.size();
  }

  /** How many subscriptions this node holds, across channels. */
  public int subscriptionCount() {
    return hubs.values().stream().mapToInt(ChannelHub::size).sum();
  }

  private Mono<Void> attach(Subscription subscription) {
    UpstreamStep step = new UpstreamStep();
    hubs.compute(
        subscription.channel(),
        (channel, existing) -> {
          ChannelHub hub = existing != null ? existing : new ChannelHub(channel);
          if (hub.add(subscription)) {
            step.chain(hub, engine.subscribe(channel));
          }
          step.ready = hub.upstream();
          return hub;
        });
    step.start();
    return step.ready;
  }

  private void release(Subscription subscription) {
    subscription.close();
    UpstreamStep step = new UpstreamStep();
    hubs.computeIfPresent(
        subscription.channel(),
        (channel, hub) -> {
          if (hub.remove(subscription)) {
            step.chain(hub, engine.unsubscribe(channel));
          }
          return hub;
        });
    step.start();
  }

  private void dropIfIdle(ChannelHub hub, Mono<Void> lastOperation) {
    hubs.computeIfPresent(
        hub.channel(), (channel, current) -> current.isIdle(lastOperation) ? null : current);
  }

  /**
   * An upstream subscribe or unsubscribe, chained after the hub's previous one so that they reach
   * the engine in the order the registry decided them.
   *
   * <p>It is chained inside the map's {@code compute} but started after it, since the in-memory
   * engine completes synchronously and its completion touches the map again. It is started here
   * rather than by a caller because releases happen in {@code doFinally} callbacks that have nobody
   * to subscribe for them; later callers share the cached result.
   */
  private final class UpstreamStep {
    private Mono<Void> ready = Mono.empty();
    private @Nullable ChannelHub hub;
    private @Nullable Mono<Void> operation;

    void chain(ChannelHub hub, Mono<Void> engineCall) {
      Mono<Void> next =
          hub.upstream().onErrorResume(error -> Mono.empty()).then(engineCall).cache();
      hub.upstream(next);
      this.hub = hub;
      this.operation = next;
    }

    void start() {
      ChannelHub target = hub;
      Mono<Void> next = operation;
      if (target == null || next == null) {
        return;
      }
      next.subscribe(
          done -> {},
          error -> {
            logFailure(target.channel(), error);
            dropIfIdle(target, next);
          },
          () -> dropIfIdle(target, next));
    }
  }

  private static void logFailure(ChannelName channel, Throwable error) {
    // The engine being down is reported by readiness and the engine's own log, and SSE streams
    // retry their subscriptions meanwhile: one line per attempt would flood the log.
    if (error instanceof EngineUnavailableException) {
      log.debug("channel={} upstream operation failed: {}", channel, error.toString());
    } else {
      log.warn("channel={} upstream operation failed: {}", channel, error.toString());
    }
  }

  @Override
  public void onPublication(Publication publication) {
    ChannelHub hub = hubs.get(publication.channel());
    if (hub != null) {
      hub.deliver(publication);
    }
  }

  @Override
  public void onJoin(ChannelName channel, ClientInfo client) {
    ChannelHub hub = hubs.get(channel);
    if (hub != null) {
      hub.join(client);
    }
  }

  @Override
  public void onLeave(ChannelName channel, ClientInfo client) {
    ChannelHub hub = hubs.get(channel);
    if (hub != null) {
      hub.leave(client);
    }
  }

  @Override
  public void onReset(ChannelName channel, StreamPosition position) {
    ChannelHub hub = hubs.get(channel);
    if (hub != null) {
      hub.reset(position);
    }
  }
}
