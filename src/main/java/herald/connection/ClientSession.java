package herald.connection;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.HistoryPage;
import herald.engine.HistoryQuery;
import herald.engine.PresencePage;
import herald.engine.PresenceQuery;
import herald.protocol.CloseCode;
import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import herald.registry.Recovery;
import herald.registry.Subscriber;
import herald.registry.Subscription;
import herald.security.Credentials;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import tools.jackson.databind.JsonNode;

/**
 * One client connection, whatever its transport: who it is, what it holds, and the operations the
 * protocol offers it. Every operation checks permission against the credentials held at that
 * moment.
 *
 * <p>Operations may be called from the connection's thread while deliveries, revocations and
 * disconnects arrive from others; state is kept in concurrent structures.
 *
 * <p>Idle connections are most of a node's connections, so a session keeps its per-connection state
 * small: one map for its channels (sized for one or two, which is what most connections hold), and
 * no timer for tokens without {@code exp}.
 */
public final class ClientSession implements Subscriber {

  private final String id;
  private final String transport;
  private final Connection connection;
  private final SessionServices services;

  /**
   * The channels this connection holds or is subscribing to: {@link #RESERVED} while the subscribe
   * is in progress, then its {@link Subscription}. One map, not a set of reserved channels beside a
   * map of subscriptions, as both are per connection.
   */
  private final Map<ChannelName, Object> channels = new ConcurrentHashMap<>(1);

  private static final Object RESERVED = new Object();

  /**
   * The channels the server subscribed this connection to (backend API, {@code channels} claim):
   * held by the backend's decision, so no permission check applies to them, now or at a refresh.
   * Created on first use: most connections never have one.
   */
  private volatile @Nullable Set<ChannelName> subscribedByServer;

  /** The reason of the {@code unsubscribe} push when a refreshed token no longer permits. */
  public static final String NO_LONGER_PERMITTED = "permission revoked";

  private volatile Credentials credentials;
  private @Nullable ExpiryTimer expiryTimer; // guarded by this
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
    synchronized (this) {
      credentials = replacement;
      if (expiryTimer != null) {
        expiryTimer.arm(replacement);
      }
    }
  }

  /**
   * Completes, on {@code scheduler}, when the credentials held expire without having been replaced;
   * a refresh re-arms it. Never completes for tokens without {@code exp}. One subscriber at a time:
   * the transport's.
   */
  public Mono<Void> expiry(Scheduler scheduler) {
    return Mono.create(
        sink -> {
          ExpiryTimer timer = new ExpiryTimer(sink, scheduler);
          sink.onDispose(timer::cancel);
          synchronized (this) {
            expiryTimer = timer;
            timer.arm(credentials);
          }
        });
  }

  /**
   * Subscribes to {@code channel}, recovering from {@code since} when given. {@code beforeReplay}
   * queues the transport's answer before any publication of the channel.
   */
  public Mono<Void> subscribe(
      ChannelName channel, @Nullable StreamPosition since, Consumer<Recovery> beforeReplay) {
    return Mono.defer(
        () -> {
          boolean takenOver = false;
          if (heldByServer(channel)) {
            // The client takes over what the server subscribed it to, from its own position (a
            // reconnect's recovery): the backend's decision stands, so no permission check.
            takenOver = takeOver(channel);
          } else {
            services.permissions().checkSubscribe(credentials(), channel);
            unmark(channel); // left by a server-side subscribe released while in progress
          }
          reserve(channel);
          return subscribeReserved(channel, since, beforeReplay, takenOver);
        });
  }

  /**
   * Subscribes a reserved channel and joins its presence; {@code inPresence} when a taken-over
   * subscription left the connection in it (no second join, and a failure leaves it).
   */
  private Mono<Void> subscribeReserved(
      ChannelName channel,
      @Nullable StreamPosition since,
      Consumer<Recovery> beforeReplay,
      boolean inPresence) {
    Mono<Void> subscribed =
        services
            .registry()
            .subscribe(channel, since, this, beforeReplay)
            .flatMap(subscription -> hold(channel, subscription, inPresence))
            .doOnError(error -> unreserve(channel))
            .doOnCancel(() -> unreserve(channel));
    return inPresence
        ? subscribed.onErrorResume(error -> leave(channel).then(Mono.error(error)))
        : subscribed;
  }

  private void unreserve(ChannelName channel) {
    if (channels.remove(channel, RESERVED)) {
      unmark(channel);
    }
  }

  private void unmark(ChannelName channel) {
    Set<ChannelName> byServer = subscribedByServer;
    if (byServer != null) {
      byServer.remove(channel);
    }
  }

  /** Whether the server may subscribe this connection (WebSocket, not SSE). */
  public boolean acceptsServerSubscriptions() {
    return connection.acceptsServerSubscriptions();
  }

  /** What a {@linkplain #subscribeByServer server-side subscribe} did to this connection. */
  public enum ServerSubscribe {
    SUBSCRIBED,
    ALREADY_SUBSCRIBED,
    /** Not subscribed: the connection holds {@code herald.limits.max-channels-per-connection}. */
    AT_LIMIT
  }

  /**
   * Subscribes this connection to {@code channel} because the server decided so (backend API,
   * {@code channels} claim): no permission check, but the channels-per-connection limit holds. The
   * client gets a {@code subscribe} push with the channel's position before any publication of it.
   * A channel already held (or being subscribed) is left as it is. Empty when the connection closed
   * meanwhile.
   */
  public Mono<ServerSubscribe> subscribeByServer(ChannelName channel) {
    return Mono.defer(
        () -> {
          if (!connection.acceptsServerSubscriptions()) {
            throw HeraldException.badRequest("server-side subscriptions are for WebSocket");
          }
          if (closed) {
            return Mono.empty();
          }
          if (channels.containsKey(channel)) {
            return Mono.just(ServerSubscribe.ALREADY_SUBSCRIBED);
          }
          if (channels.size() >= services.limits().maxChannelsPerConnection()) {
            return Mono.just(ServerSubscribe.AT_LIMIT);
          }
          if (channels.putIfAbsent(channel, RESERVED) != null) {
            return Mono.just(ServerSubscribe.ALREADY_SUBSCRIBED);
          }
          markSubscribedByServer(channel);
          return subscribeReserved(
                  channel,
                  null,
                  recovery -> connection.subscribedByServer(channel, recovery.latest()),
                  false)
              .thenReturn(ServerSubscribe.SUBSCRIBED);
        });
  }

  private void markSubscribedByServer(ChannelName channel) {
    Set<ChannelName> byServer = subscribedByServer;
    if (byServer == null) {
      synchronized (this) {
        byServer = subscribedByServer;
        if (byServer == null) {
          byServer = ConcurrentHashMap.newKeySet(1);
          subscribedByServer = byServer;
        }
      }
    }
    byServer.add(channel);
  }

  private boolean heldByServer(ChannelName channel) {
    Set<ChannelName> byServer = subscribedByServer;
    return byServer != null && byServer.contains(channel) && channels.containsKey(channel);
  }

  /**
   * Lets go of a server-held subscription so the client's own subscribe replaces it, keeping the
   * mark and presence; one still in progress stays, and the client's subscribe gets 409. Returns
   * whether it let go.
   */
  private boolean takeOver(ChannelName channel) {
    Object held = channels.get(channel);
    if (held instanceof Subscription subscription && channels.remove(channel, held)) {
      services.registry().unsubscribe(subscription);
      return true;
    }
    return false;
  }

  private void reserve(ChannelName channel) {
    if (channels.size() >= services.limits().maxChannelsPerConnection()) {
      throw HeraldException.badRequest(
          "too many channels: at most " + services.limits().maxChannelsPerConnection());
    }
    if (channels.putIfAbsent(channel, RESERVED) != null) {
      throw new HeraldException(ErrorCode.ALREADY_SUBSCRIBED, "already subscribed to " + channel);
    }
  }

  private Mono<Void> hold(ChannelName channel, Subscription subscription, boolean inPresence) {
    Mono<Void> gone = inPresence ? leave(channel) : Mono.empty();
    if (!channels.replace(channel, RESERVED, subscription)) {
      // Released while the subscribe was in progress (close, revoke): let it go at once.
      services.registry().unsubscribe(subscription);
      return gone;
    }
    if (closed) {
      release(channel);
      return gone;
    }
    return inPresence
        ? Mono.empty()
        : services.engine().join(channel, info()).onErrorResume(error -> Mono.empty());
  }

  /** Drops the subscription to {@code channel}, if held. */
  public Mono<Void> unsubscribe(ChannelName channel) {
    return Mono.defer(() -> release(channel) ? leave(channel) : Mono.empty());
  }

  /**
   * Revokes every channel held that the credentials held now no longer permit, each with an {@code
   * unsubscribe} push: after a {@code refresh} whose token grants less, the connection keeps only
   * what it may still subscribe to.
   */
  public Mono<Void> revokeNoLongerPermitted() {
    return Flux.defer(() -> Flux.fromIterable(channels()))
        .filter(channel -> !heldByServer(channel))
        .filter(channel -> !services.permissions().permitsSubscribe(credentials(), channel))
        .concatMap(channel -> revoke(channel, NO_LONGER_PERMITTED))
        .then();
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
    Object held = channels.get(channel);
    if (!(held instanceof Subscription subscription) || !channels.remove(channel, held)) {
      return false;
    }
    unmark(channel);
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

  /** A page of who is subscribed to {@code channel}; needs subscribe permission. */
  public Mono<PresencePage> presence(ChannelName channel, PresenceQuery query) {
    return Mono.defer(
        () -> {
          services.permissions().checkSubscribe(credentials(), channel);
          return services.engine().presence(channel, query);
        });
  }

  /** The channels this connection holds. */
  public Set<ChannelName> channels() {
    List<ChannelName> held = new ArrayList<>();
    channels.forEach(
        (channel, state) -> {
          if (state instanceof Subscription) {
            held.add(channel);
          }
        });
    return Set.copyOf(held);
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
          return Flux.fromIterable(channels()).filter(this::release).concatMap(this::leave).then();
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
  public void onReplay(Publication publication) {
    connection.replay(publication);
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
