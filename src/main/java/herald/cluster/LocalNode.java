package herald.cluster;

import herald.channel.ChannelName;
import herald.connection.ClientSession;
import herald.connection.ClientSessions;
import herald.protocol.CloseCode;
import herald.registry.ChannelRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** What this node knows and does on its own: its figures, channels and connections. */
final class LocalNode {

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

  /** Closes {@code user}'s connections here. */
  int disconnect(String user, boolean reconnect) {
    CloseCode code = reconnect ? CloseCode.RESTART : CloseCode.FORBIDDEN;
    List<ClientSession> held = sessions.ofUser(user);
    held.forEach(session -> session.disconnect(code, "disconnected by server"));
    return held.size();
  }
}
