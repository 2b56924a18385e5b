package herald.connection;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.HistoryPage;
import herald.engine.HistoryQuery;
import herald.protocol.CloseCode;
import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import herald.registry.Recovery;
import herald.registry.Subscriber;
import herald.registry.Subscription;
import herald.security.Credentials;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import tools.jackson.databind.JsonNode;

/**
 * One client connection, whatever its transport: who it is, what it holds, and the operations the
 * protocol offers it. Every operation checks permission against the credentials held at that
 * moment.
 *
 * <p>Operations may be called from the connection's thread while deliveries, revocations and
 * disconnects arrive from others; state is kept in concurrent structures.
 */
public final class ClientSession implements Subscriber {

  private final String id;
  private final String transport;
  private final Connection connection;
  private final SessionServices services;
  private final Set<ChannelName> channels = ConcurrentHashMap.newKeySet();
  private final Map<ChannelName, Subscription> subscriptions = new ConcurrentHashMap<>();
  private final Sinks.Many<Credentials> credentialChanges;
  private volatile Credentials credentials;
  private volatile boolean closed;

  ClientSession(
      String id,
      String transport,
      Credentials initial,
      Connection connection,
      SessionServices services) {
    this.id = id;
    this.transport = transport;
    this.connection = connection;
    this.services = services;
    this.credentials = initial;
    this.credentialChanges = Sinks.many().replay().latestOrDefault(initial);
  }

  public String id() {
    return id;
  }

  public String transport() {
    return transport;
  }

  /** The credentials held now. */
  public Credentials credentials() {
    return credentials;
  }

  public String user() {
    return credentials().user();
  }

  /** This connection as presence shows it. */
  public ClientInfo info() {
    return new ClientInfo(user(), id, services.nodeName());
  }

  /**
   * Replaces the credentials (after {@code connect} or {@code refresh}); the user must not change.
   */
  public void credentials(Credentials replacement) {
    Credentials current = credentials();
    if (!current.provisional() && !current.user().equals(replacement.user())) {
      throw HeraldException.forbidden("a token refresh must keep the same user");
    }
    synchronized (credentialChanges) {
      credentials = replacement;
      credentialChanges.tryEmitNext(replacement);
    }
  }

  /**
   * Completes when the credentials held expire without having been replaced; a refresh re-arms it.
   * Never completes for tokens without {@code exp}.
   */
  public Mono<Void> expiry(Scheduler scheduler) {
    return credentialChanges.asFlux().switchMap(held -> untilExpiry(held, scheduler)).next().then();
  }

  private Flux<Long> untilExpiry(Credentials held, Scheduler scheduler) {
    Instant expiresAt = held.expiresAt();
    if (expiresAt == null) {
      return Flux.never();
    }
    Instant now = Instant.ofEpochMilli(scheduler.now(TimeUnit.MILLISECONDS));
    Duration left = Duration.between(now, expiresAt);
    return Mono.delay(left.isNegative() ? Duration.ZERO : left, scheduler).flux();
  }

  /**
   * Subscribes to {@code channel}, recovering from {@code since} when given. {@code beforeReplay}
   * queues the transport's answer before any publication of the channel.
   */
  public Mono<Void> subscribe(
      ChannelName channel, @Nullable StreamPosition since, Consumer<Recovery> beforeReplay) {
    return Mono.defer(
        () -> {
          services.permissions().checkSubscribe(credentials(), channel);
          reserve(channel);
          return services
              .registry()
              .subscribe(channel, since, this, beforeReplay)
              .flatMap(subscription -> hold(channel, subscription))
              .doOnError(error -> channels.remove(channel))
              .doOnCancel(() -> channels.remove(channel));
        });
  }

  private void reserve(ChannelName channel) {
    if (channels.size() >= services.limits().maxChannelsPerConnection()) {
      throw HeraldException.badRequest(
          "too many channels: at most " + services.limits().maxChannelsPerConnection());
    }
    if (!channels.add(channel)) {
      throw new HeraldException(ErrorCode.ALREADY_SUBSCRIBED, "already subscribed to " + channel);
    }
  }

  private Mono<Void> hold(ChannelName channel, Subscription subscription) {
    subscriptions.put(channel, subscription);
    if (closed) {
      release(channel);
      return Mono.empty();
    }
    return services.engine().join(channel, info()).onErrorResume(error -> Mono.empty());
  }

  /** Drops the subscription to {@code channel}, if held. */
  public Mono<Void> unsubscribe(ChannelName channel) {
    return Mono.defer(() -> release(channel) ? leave(channel) : Mono.empty());
  }

  /** Server-side revoke: drops the subscription and tells the client. */
  public Mono<Void> revoke(ChannelName channel, String reason) {
    return Mono.defer(
        () -> {
          if (!release(channel)) {
            return Mono.empty();
          }
          connection.revoked(channel, reason);
          return leave(channel);
        });
  }

  private boolean release(ChannelName channel) {
    Subscription subscription = subscriptions.remove(channel);
    channels.remove(channel);
    if (subscription == null) {
      return false;
    }
    services.registry().unsubscribe(subscription);
    return true;
  }

  private Mono<Void> leave(ChannelName channel) {
    return services.engine().leave(channel, info()).onErrorResume(error -> Mono.empty());
  }

  /** Publishes {@code data} to {@code channel} as this client. */
  public Mono<Publication> publish(ChannelName channel, JsonNode data) {
    return Mono.defer(
        () -> {
          Credentials held = credentials();
          services.permissions().checkPublish(held, channel);
          return services.engine().publish(channel, data, held.user());
        });
  }

  /** Reads {@code channel}'s history; needs subscribe permission. */
  public Mono<HistoryPage> history(ChannelName channel, HistoryQuery query) {
    return Mono.defer(
        () -> {
          services.permissions().checkSubscribe(credentials(), channel);
          return services.engine().history(channel, query);
        });
  }

  /** Who is subscribed to {@code channel}; needs subscribe permission. */
  public Mono<List<ClientInfo>> presence(ChannelName channel) {
    return Mono.defer(
        () -> {
          services.permissions().checkSubscribe(credentials(), channel);
          return services.engine().presence(channel);
        });
  }

  /** The channels this connection holds. */
  public Set<ChannelName> channels() {
    return Set.copyOf(subscriptions.keySet());
  }

  /** Asks the transport to tell the client and end the connection. */
  public void disconnect(CloseCode code, String reason) {
    connection.disconnect(code, reason);
  }

  /**
   * Releases every subscription and presence entry; called once when the transport ends, on any
   * terminal signal. Returns when presence is cleared.
   */
  public Mono<Void> close() {
    return Mono.defer(
        () -> {
          if (closed) {
            return Mono.empty();
          }
          closed = true;
          services.sessions().remove(this);
          return Flux.fromIterable(Set.copyOf(subscriptions.keySet()))
              .filter(this::release)
              .concatMap(this::leave)
              .then();
        });
  }

  public boolean isClosed() {
    return closed;
  }

  @Override
  public void onPublication(Publication publication) {
    connection.deliver(publication);
  }

  @Override
  public void onJoin(ChannelName channel, ClientInfo client) {
    connection.joined(channel, client);
  }

  @Override
  public void onLeave(ChannelName channel, ClientInfo client) {
    connection.left(channel, client);
  }

  @Override
  public void onReset(ChannelName channel, StreamPosition position) {
    connection.reset(channel, position);
  }

  @Override
  public void onOverflow(ChannelName channel) {
    connection.disconnect(CloseCode.SLOW_CONSUMER, "slow consumer");
  }
}
