package herald.connection;

import herald.config.LimitProperties;
import herald.engine.Backplane;
import herald.engine.Engine;
import herald.engine.EngineUnavailableException;
import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import herald.registry.ChannelRegistry;
import herald.security.ChannelPermissions;
import herald.security.Credentials;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Every connection this node holds, by id and by user: the directory the backend API acts on and
 * the place connections-per-user is counted.
 *
 * <p>The per-user limit holds on the whole cluster: a connection is counted here first (at once, so
 * a burst on one node cannot overshoot), then {@linkplain #claim claimed} on the engine's
 * backplane, which counts the user's connections on every node. Claims live for {@link #CLAIM_TTL}
 * unless renewed, so those of a node that died stop counting after it.
 */
public final class ClientSessions {

  private static final Logger log = LoggerFactory.getLogger(ClientSessions.class);

  /** How long a connection's cluster-wide claim lives unless renewed (every third of it). */
  public static final Duration CLAIM_TTL = Duration.ofSeconds(30);

  // Renewals of different users sent to the backplane at once.
  private static final int RENEWALS_IN_FLIGHT = 16;

  private final SessionServices services;
  private final Backplane backplane;
  private final Map<String, ClientSession> byId = new ConcurrentHashMap<>();
  private final Map<String, Set<ClientSession>> byUser = new ConcurrentHashMap<>();
  // Per transport, so that the connections gauge need not walk every session at each scrape.
  private final Map<String, AtomicInteger> byTransport = new ConcurrentHashMap<>();

  public ClientSessions(
      String nodeName,
      Engine engine,
      ChannelRegistry registry,
      ChannelPermissions permissions,
      LimitProperties limits,
      Backplane backplane) {
    this.services = new SessionServices(nodeName, engine, registry, permissions, limits, this);
    this.backplane = backplane;
  }

  /**
   * Registers a new connection.
   *
   * @param transport {@code "websocket"} or {@code "sse"}, for metrics and info
   * @throws HeraldException 429 when the user already holds the maximum number of connections
   */
  public ClientSession open(String transport, Credentials credentials, Connection connection) {
    ClientSession session =
        new ClientSession(ClientIds.next(), transport, credentials, connection, services);
    if (!credentials.anonymous()) {
      index(session, credentials.user());
    }
    byId.put(session.id(), session);
    byTransport.computeIfAbsent(transport, key -> new AtomicInteger()).incrementAndGet();
    ConnectionLog.about(log.atDebug(), session)
        .log("client={} user={} transport={} opened", transport);
    return session;
  }

  /**
   * Gives {@code session}, a connection without a user yet (tokenless, or the development-mode
   * stand-in), the credentials of a {@code connect} or {@code refresh}: it is counted against the
   * new user here and then on the cluster, and only when both admit it does it take the
   * credentials. When either refuses (429), the session keeps the identity it had and stays tracked
   * under it: swapping first would leave a connection acting as the new user that neither the
   * per-user limit nor the backend API ({@code disconnect}, {@code unsubscribe}) can see.
   */
  public Mono<Void> admit(ClientSession session, Credentials credentials) {
    Credentials previous = session.credentials();
    if (credentials.anonymous() || previous.user().equals(credentials.user())) {
      return Mono.fromRunnable(() -> session.credentials(credentials));
    }
    return Mono.defer(
        () -> {
          index(session, credentials.user());
          return claim(credentials.user(), session.id())
              .onErrorResume(
                  HeraldException.class,
                  refused -> {
                    unindex(session, credentials.user());
                    return Mono.error(refused);
                  })
              .then(Mono.fromRunnable(() -> switchUser(session, previous, credentials)));
        });
  }

  private void switchUser(ClientSession session, Credentials previous, Credentials next) {
    session.credentials(next);
    if (!previous.anonymous()) {
      unindex(session, previous.user());
      release(previous.user(), session.id());
    }
    if (session.isClosed()) {
      // Closed while the claim was in flight: its removal may have seen the previous user only.
      unindex(session, next.user());
      release(next.user(), session.id());
    }
  }

  private void index(ClientSession session, String user) {
    boolean[] admitted = {true};
    byUser.compute(
        user,
        (key, held) -> {
          if (held != null && held.contains(session)) {
            return held;
          }
          if (held != null && held.size() >= services.limits().maxConnectionsPerUser()) {
            admitted[0] = false;
            return held;
          }
          return with(held, session);
        });
    if (!admitted[0]) {
      throw tooManyConnections();
    }
  }

  private static HeraldException tooManyConnections() {
    return new HeraldException(ErrorCode.RATE_LIMITED, "too many connections for this user");
  }

  /**
   * Counts {@code session} against its user's connections on every node. Fails with 429 (and
   * forgets the session) when the user is at the limit; admits when the backplane cannot be
   * reached, since Redis being down must not lock users out (this node's own count still holds).
   */
  public Mono<Void> claim(ClientSession session) {
    if (session.credentials().anonymous()) {
      return Mono.empty();
    }
    return claim(session.user(), session.id())
        .doOnError(HeraldException.class, refused -> forget(session));
  }

  private Mono<Void> claim(String user, String sessionId) {
    return backplane
        .claim(user, sessionId, services.limits().maxConnectionsPerUser(), CLAIM_TTL)
        .onErrorResume(
            EngineUnavailableException.class,
            error -> {
              log.atDebug()
                  .addKeyValue("client", sessionId)
                  .addKeyValue("user", user)
                  .log(
                      "client={} user={} admitted without a cluster-wide count: {}",
                      sessionId,
                      user,
                      error.toString());
              return Mono.just(true);
            })
        .flatMap(admitted -> admitted ? Mono.empty() : Mono.error(tooManyConnections()));
  }

  /** Keeps every claim of this node's connections alive for another {@link #CLAIM_TTL}. */
  public Flux<Void> renewClaims() {
    return Flux.defer(() -> Flux.fromIterable(claimsNow()))
        .flatMap(
            claim ->
                backplane
                    .renew(claim.getKey(), claim.getValue(), CLAIM_TTL)
                    .onErrorResume(error -> Mono.empty()),
            RENEWALS_IN_FLIGHT);
  }

  /**
   * Each user's session ids on this node as they are now. Ids, not sessions: the renewal's stream
   * keeps its last round reachable until the next one (10 s), and a round holding sessions held
   * every closed connection with them (its channel, buffers and subscriptions) as long.
   */
  private List<Map.Entry<String, List<String>>> claimsNow() {
    return byUser.entrySet().stream()
        .map(
            entry ->
                Map.entry(
                    entry.getKey(), entry.getValue().stream().map(ClientSession::id).toList()))
        .toList();
  }

  void remove(ClientSession session) {
    if (forget(session)) {
      ConnectionLog.about(log.atDebug(), session).log("client={} user={} closed");
      release(session);
    }
  }

  private void release(ClientSession session) {
    if (!session.credentials().anonymous()) {
      release(session.user(), session.id());
    }
  }

  private void release(String user, String sessionId) {
    backplane
        .release(user, sessionId)
        .subscribe(
            done -> {},
            error ->
                log.atDebug()
                    .addKeyValue("client", sessionId)
                    .addKeyValue("user", user)
                    .log(
                        "client={} user={} claim left to expire: {}",
                        sessionId,
                        user,
                        error.toString()));
  }

  private boolean forget(ClientSession session) {
    unindex(session);
    if (byId.remove(session.id()) == null) {
      return false;
    }
    byTransport.get(session.transport()).decrementAndGet();
    return true;
  }

  private void unindex(ClientSession session) {
    unindex(session, session.user());
  }

  private void unindex(ClientSession session, String user) {
    byUser.computeIfPresent(user, (key, held) -> without(held, session));
  }

  // A user's connections: Set.of(session) for the one connection most users hold (one small object
  // where a concurrent set is four), a concurrent set from the second one on, changed in place (a
  // user may hold many, all tokenless clients in development mode are one user). Both run under the
  // map's lock for the user.

  private static Set<ClientSession> with(@Nullable Set<ClientSession> held, ClientSession session) {
    if (held == null) {
      return Set.of(session);
    }
    if (held instanceof ConcurrentHashMap.KeySetView<?, ?>) {
      held.add(session);
      return held;
    }
    Set<ClientSession> many = ConcurrentHashMap.newKeySet(4);
    many.addAll(held);
    many.add(session);
    return many;
  }

  private static @Nullable Set<ClientSession> without(
      Set<ClientSession> held, ClientSession session) {
    if (held instanceof ConcurrentHashMap.KeySetView<?, ?>) {
      held.remove(session);
      return held.isEmpty() ? null : held;
    }
    return held.contains(session) ? null : held;
  }

  /**
   * The credentials of a connection that presents no token ({@link
   * ChannelPermissions#withoutToken()}).
   *
   * @throws HeraldException 401 when no namespace admits connections without a token
   */
  public Credentials withoutToken() {
    return services.permissions().withoutToken();
  }

  /** The connections of {@code user} on this node. */
  public List<ClientSession> ofUser(String user) {
    return List.copyOf(byUser.getOrDefault(user, Set.of()));
  }

  /** Every connection on this node. */
  public List<ClientSession> all() {
    return List.copyOf(byId.values());
  }

  public int count() {
    return byId.size();
  }

  /** Connections of {@code transport} on this node. */
  public int count(String transport) {
    AtomicInteger count = byTransport.get(transport);
    return count == null ? 0 : count.get();
  }

  /**
   * Connections per transport that has any, from the per-transport counts: the node's report asks
   * every heartbeat, and a walk over every session would cost as much as the node has connections.
   */
  public Map<String, Long> countByTransport() {
    Map<String, Long> counts = new HashMap<>();
    byTransport.forEach(
        (transport, count) -> {
          if (count.get() > 0) {
            counts.put(transport, (long) count.get());
          }
        });
    return counts;
  }

  public String nodeName() {
    return services.nodeName();
  }
}
