package herald.cluster;

import herald.channel.ChannelName;
import herald.connection.ClientSession;
import herald.connection.ClientSession.ServerSubscribe;
import herald.connection.ClientSessions;
import herald.connection.ConnectionLog;
import herald.protocol.CloseCode;
import herald.registry.ChannelRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** What this node knows and does on its own: its figures, channels and connections. */
final class LocalNode {

  private static final Logger log = LoggerFactory.getLogger(LocalNode.class);

  private static final String VERSION =
      Objects.requireNonNullElse(LocalNode.class.getPackage().getImplementationVersion(), "dev");

  private final ClientSessions sessions;
  private final ChannelRegistry registry;
  private final Clock clock;
  private final Instant started;

  LocalNode(ClientSessions sessions, ChannelRegistry registry, Clock clock) {
    this.sessions = sessions;
    this.registry = registry;
    this.clock = clock;
    this.started = clock.instant();
  }

  String name() {
    return sessions.nodeName();
  }

  NodeFigures figures() {
    return new NodeFigures(
        name(),
        sessions.count(),
        sessions.countByTransport(),
        registry.subscriptionCount(),
        Duration.between(started, clock.instant()).toSeconds(),
        VERSION);
  }

  /** Subscribers per active channel on this node. */
  Map<String, Integer> channels() {
    return registry.subscriberCounts();
  }

  /** Revokes {@code channel} from {@code user}'s connections here that hold it. */
  Mono<Integer> unsubscribe(String user, ChannelName channel) {
    return Flux.fromIterable(sessions.ofUser(user))
        .filter(session -> session.channels().contains(channel))
        .concatMap(session -> session.revoke(channel, "server unsubscribe").thenReturn(1))
        .count()
        .map(Long::intValue);
  }

  /** What a server-side subscribe did on this node. */
  record SubscribeCounts(int subscribed, int refused) {}

  // Connections of one user subscribed at once; a user holds at most herald.limits'
  // max-connections-per-user (100 by default) anyway.
  private static final int SUBSCRIBES_IN_FLIGHT = 16;

  /**
   * Subscribes {@code user}'s WebSocket connections here to {@code channel}: {@code subscribed}
   * counts those that hold it now (newly or already), {@code refused} those at their channel limit.
   * A connection the engine could not subscribe (engine unavailable) counts in neither.
   */
  Mono<SubscribeCounts> subscribe(String user, ChannelName channel) {
    return Flux.fromIterable(sessions.ofUser(user))
        .filter(ClientSession::acceptsServerSubscriptions)
        .flatMap(session -> subscribeOne(session, channel), SUBSCRIBES_IN_FLIGHT)
        .collectList()
        .map(
            outcomes ->
                new SubscribeCounts(
                    (int)
                        outcomes.stream()
                            .filter(outcome -> outcome != ServerSubscribe.AT_LIMIT)
                            .count(),
                    (int)
                        outcomes.stream()
                            .filter(outcome -> outcome == ServerSubscribe.AT_LIMIT)
                            .count()));
  }

  private static Mono<ServerSubscribe> subscribeOne(ClientSession session, ChannelName channel) {
    return session
        .subscribeByServer(channel)
        .doOnNext(
            outcome -> {
              if (outcome == ServerSubscribe.AT_LIMIT) {
                ConnectionLog.about(log.atDebug(), session)
                    .log("client={} user={} not subscribed by the server: at its channel limit");
              }
            })
        .onErrorResume(
            error -> {
              ConnectionLog.about(log.atDebug(), session)
                  .log("client={} user={} server-side subscribe failed: {}", error.toString());
              return Mono.empty();
            });
  }

  /** Closes {@code user}'s connections here. */
  int disconnect(String user, boolean reconnect) {
    CloseCode code = reconnect ? CloseCode.RESTART : CloseCode.FORBIDDEN;
    List<ClientSession> held = sessions.ofUser(user);
    held.forEach(session -> session.disconnect(code, "disconnected by server"));
    return held.size();
  }
}
