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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
    index(session, credentials);
    byId.put(session.id(), session);
    return session;
  }

  /**
   * Records that {@code session} now belongs to {@code credentials}' user (after a {@code connect}
   * frame), enforcing the per-user connection limit.
   */
  public void index(ClientSession session, Credentials credentials) {
    if (credentials.anonymous()) {
      return;
    }
    if (!session.credentials().anonymous() && !session.user().equals(credentials.user())) {
      // The insecure-mode stand-in user was indexed and claimed when the connection opened.
      unindex(session);
      release(session);
    }
    boolean[] admitted = {true};
    byUser.compute(
        credentials.user(),
        (user, sessions) -> {
          // Sized for the one or two connections most users hold, not the default sixteen.
          Set<ClientSession> held = sessions != null ? sessions : ConcurrentHashMap.newKeySet(2);
          if (!held.contains(session) && held.size() >= services.limits().maxConnectionsPerUser()) {
            admitted[0] = false;
          } else {
            held.add(session);
          }
          return held;
        });
    if (!admitted[0]) {
      throw new HeraldException(ErrorCode.RATE_LIMITED, "too many connections for this user");
    }
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
    String user = session.user();
    return backplane
        .claim(user, session.id(), services.limits().maxConnectionsPerUser(), CLAIM_TTL)
        .onErrorResume(
            EngineUnavailableException.class,
            error -> {
              log.debug(
                  "user={} admitted without a cluster-wide count: {}", user, error.toString());
              return Mono.just(true);
            })
        .flatMap(
            admitted -> {
              if (admitted) {
                return Mono.empty();
              }
              forget(session);
              return Mono.error(
                  new HeraldException(
                      ErrorCode.RATE_LIMITED, "too many connections for this user"));
            });
  }

  /** Keeps every claim of this node's connections alive for another {@link #CLAIM_TTL}. */
  public Flux<Void> renewClaims() {
    return Flux.fromIterable(List.copyOf(byUser.entrySet()))
        .flatMap(
            entry ->
                backplane
                    .renew(
                        entry.getKey(),
                        entry.getValue().stream().map(ClientSession::id).toList(),
                        CLAIM_TTL)
                    .onErrorResume(error -> Mono.empty()),
            RENEWALS_IN_FLIGHT);
  }

  void remove(ClientSession session) {
    if (forget(session)) {
      release(session);
    }
  }

  private void release(ClientSession session) {
    if (!session.credentials().anonymous()) {
      backplane
          .release(session.user(), session.id())
          .subscribe(
              done -> {},
              error -> log.debug("claim of {} left to expire: {}", session.id(), error.toString()));
    }
  }

  private boolean forget(ClientSession session) {
    unindex(session);
    return byId.remove(session.id()) != null;
  }

  private void unindex(ClientSession session) {
    byUser.computeIfPresent(
        session.user(),
        (user, sessions) -> {
          sessions.remove(session);
          return sessions.isEmpty() ? null : sessions;
        });
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

  /** Connections per transport. */
  public Map<String, Long> countByTransport() {
    Map<String, Long> counts = new ConcurrentHashMap<>();
    byId.values().forEach(session -> counts.merge(session.transport(), 1L, Long::sum));
    return counts;
  }

  public String nodeName() {
    return services.nodeName();
  }
}
