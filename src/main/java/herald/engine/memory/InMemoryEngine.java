package herald.engine.memory;

import herald.channel.ChannelName;
import herald.channel.ChannelOptions;
import herald.channel.ChannelOptionsResolver;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.Engine;
import herald.engine.EngineListener;
import herald.engine.Epochs;
import herald.engine.HistoryPage;
import herald.engine.HistoryQuery;
import herald.engine.PresencePage;
import herald.engine.PresenceQuery;
import herald.engine.PublishOutcome;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import tools.jackson.databind.JsonNode;

/**
 * The engine of a single node: offsets, history and presence live in this JVM and are lost with it
 * (every channel then starts a new epoch).
 *
 * <p>Publishing, history reads and deliveries to the listener happen on the caller's thread, under
 * the channel's monitor, so each channel's publications reach the listener in offset order. A
 * sweeper releases channels that have no subscription, no presence and no unexpired history.
 */
public final class InMemoryEngine implements Engine, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(InMemoryEngine.class);

  private final ChannelOptionsResolver options;
  private final Clock clock;
  private final Map<ChannelName, ChannelStream> streams = new ConcurrentHashMap<>();
  private final Set<ChannelName> subscribed = ConcurrentHashMap.newKeySet();
  private final Map<ChannelName, Map<String, ClientInfo>> presence = new ConcurrentHashMap<>();
  private final Disposable sweeper;
  private final IdempotencyKeys idempotencyKeys;
  private volatile EngineListener listener = EngineListener.NONE;

  /** The default bound of remembered idempotency keys ({@code herald.engine.idempotency-keys}). */
  public static final int DEFAULT_IDEMPOTENCY_KEYS = 100_000;

  public InMemoryEngine(
      ChannelOptionsResolver options, Clock clock, Duration sweepInterval, Scheduler scheduler) {
    this(options, clock, sweepInterval, scheduler, DEFAULT_IDEMPOTENCY_KEYS);
  }

  /**
   * @param idempotencyKeys the most idempotency keys remembered at once (oldest forgotten first)
   */
  public InMemoryEngine(
      ChannelOptionsResolver options,
      Clock clock,
      Duration sweepInterval,
      Scheduler scheduler,
      int idempotencyKeys) {
    this.options = options;
    this.clock = clock;
    this.idempotencyKeys = new IdempotencyKeys(idempotencyKeys);
    this.sweeper =
        Flux.interval(sweepInterval, scheduler)
            .onBackpressureDrop()
            .subscribe(tick -> sweep(), error -> log.error("history sweeper stopped", error));
  }

  @Override
  public void attach(EngineListener listener) {
    this.listener = listener;
  }

  @Override
  public Mono<Publication> publish(ChannelName channel, JsonNode data, @Nullable String from) {
    return Mono.fromSupplier(() -> withStream(channel, stream -> append(stream, data, from)));
  }

  @Override
  public Mono<PublishOutcome> publishOnce(
      ChannelName channel, JsonNode data, String idempotencyKey, Duration window) {
    return Mono.fromSupplier(
        () -> withStream(channel, stream -> appendOnce(stream, data, idempotencyKey, window)));
  }

  /** Runs under the channel's monitor, so a concurrent repeat waits and then sees the key. */
  private PublishOutcome appendOnce(
      ChannelStream stream, JsonNode data, String idempotencyKey, Duration window) {
    long now = clock.millis();
    StreamPosition first = idempotencyKeys.first(stream.channel(), idempotencyKey, now);
    if (first != null) {
      return new PublishOutcome(first, true);
    }
    StreamPosition position = append(stream, data, null).position();
    idempotencyKeys.remember(stream.channel(), idempotencyKey, position, now + window.toMillis());
    return new PublishOutcome(position, false);
  }

  private Publication append(ChannelStream stream, JsonNode data, @Nullable String from) {
    Publication publication = stream.append(data, from, clock.millis(), optionsOf(stream));
    if (subscribed.contains(publication.channel())) {
      listener.onPublication(publication);
    }
    return publication;
  }

  @Override
  public Mono<HistoryPage> history(ChannelName channel, HistoryQuery query) {
    return Mono.fromSupplier(
        () ->
            withStream(
                channel,
                stream -> stream.read(query, clock.millis(), options.optionsFor(channel))));
  }

  @Override
  public Mono<Void> subscribe(ChannelName channel) {
    return Mono.fromRunnable(() -> subscribed.add(channel));
  }

  @Override
  public Mono<Void> unsubscribe(ChannelName channel) {
    return Mono.fromRunnable(() -> subscribed.remove(channel));
  }

  @Override
  public Mono<Void> join(ChannelName channel, ClientInfo client) {
    return Mono.fromRunnable(
        () -> {
          ChannelOptions channelOptions = options.optionsFor(channel);
          if (!channelOptions.presence()) {
            return;
          }
          presence
              .computeIfAbsent(channel, c -> new ConcurrentHashMap<>())
              .put(client.client(), client);
          if (channelOptions.joinLeave() && subscribed.contains(channel)) {
            listener.onJoin(channel, client);
          }
        });
  }

  @Override
  public Mono<Void> leave(ChannelName channel, ClientInfo client) {
    return Mono.fromRunnable(
        () -> {
          ChannelOptions channelOptions = options.optionsFor(channel);
          boolean removed = removePresence(channel, client);
          if (removed && channelOptions.joinLeave() && subscribed.contains(channel)) {
            listener.onLeave(channel, client);
          }
        });
  }

  private boolean removePresence(ChannelName channel, ClientInfo client) {
    boolean[] removed = {false};
    presence.computeIfPresent(
        channel,
        (c, clients) -> {
          removed[0] = clients.remove(client.client()) != null;
          return clients.isEmpty() ? null : clients;
        });
    return removed[0];
  }

  @Override
  public Mono<PresencePage> presence(ChannelName channel, PresenceQuery query) {
    return Mono.fromSupplier(
        () -> {
          List<ClientInfo> sorted =
              new ArrayList<>(presence.getOrDefault(channel, Map.of()).values());
          sorted.sort(Comparator.comparing(ClientInfo::client));
          return PresencePage.of(sorted, query);
        });
  }

  /** Runs {@code action} under the channel's monitor, on a stream that is not released. */
  private <T> T withStream(ChannelName channel, Function<ChannelStream, T> action) {
    while (true) {
      ChannelStream stream =
          streams.computeIfAbsent(channel, c -> new ChannelStream(c, Epochs.next()));
      synchronized (stream) {
        if (!stream.released()) {
          return action.apply(stream);
        }
      }
      // The sweeper released it between lookup and lock; it is gone from the map, so loop.
    }
  }

  private ChannelOptions optionsOf(ChannelStream stream) {
    return options.optionsFor(stream.channel());
  }

  /** Releases every channel that no longer holds anything; runs periodically. */
  void sweep() {
    long now = clock.millis();
    streams.forEach(
        (channel, stream) -> {
          boolean inUse = subscribed.contains(channel) || presence.containsKey(channel);
          synchronized (stream) {
            if (stream.releaseIfIdle(now, options.optionsFor(channel), inUse)) {
              streams.remove(channel, stream);
            }
          }
        });
  }

  /** How many channels the engine holds; for tests and metrics. */
  int channelCount() {
    return streams.size();
  }

  @Override
  public void close() {
    sweeper.dispose();
  }
}
