package herald.connection;

import herald.config.LimitProperties;
import herald.engine.Engine;
import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import herald.registry.ChannelRegistry;
import herald.security.ChannelPermissions;
import herald.security.Credentials;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every connection this node holds, by id and by user: the directory the backend API acts on and
 * the place connections-per-user is counted.
 */
public final class ClientSessions {

  private final SessionServices services;
  private final Map<String, ClientSession> byId = new ConcurrentHashMap<>();
  private final Map<String, Set<ClientSession>> byUser = new ConcurrentHashMap<>();

  public ClientSessions(
      String nodeName,
      Engine engine,
      ChannelRegistry registry,
      ChannelPermissions permissions,
      LimitProperties limits) {
    this.services = new SessionServices(nodeName, engine, registry, permissions, limits, this);
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
    boolean[] admitted = {true};
    byUser.compute(
        credentials.user(),
        (user, sessions) -> {
          Set<ClientSession> held = sessions != null ? sessions : ConcurrentHashMap.newKeySet();
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

  void remove(ClientSession session) {
    byId.remove(session.id());
    byUser.computeIfPresent(
        session.user(),
        (user, sessions) -> {
          sessions.remove(session);
          return sessions.isEmpty() ? null : sessions;
        });
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
