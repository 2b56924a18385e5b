package herald.api;

import herald.connection.ClientSession;
import herald.connection.ClientSessions;
import herald.protocol.CloseCode;
import herald.registry.ChannelRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** Nodes and their connections: info, and acting on a user's connections. */
@RestController
@RequestMapping("/api/v1")
class NodesController {

  private static final String VERSION =
      java.util.Objects.requireNonNullElse(
          NodesController.class.getPackage().getImplementationVersion(), "dev");

  private final ClientSessions sessions;
  private final ChannelRegistry registry;
  private final ApiRequests requests;
  private final Clock clock;
  private final Instant started;

  NodesController(
      ClientSessions sessions, ChannelRegistry registry, ApiRequests requests, Clock clock) {
    this.sessions = sessions;
    this.registry = registry;
    this.requests = requests;
    this.clock = clock;
    this.started = clock.instant();
  }

  /** {@code GET /api/v1/info}: every node (this one, on the in-memory engine). */
  @GetMapping("/info")
  Mono<Info> info() {
    return Mono.fromSupplier(
        () ->
            new Info(
                List.of(
                    new Node(
                        sessions.nodeName(),
                        sessions.count(),
                        sessions.countByTransport(),
                        registry.subscriptionCount(),
                        Duration.between(started, clock.instant()).toSeconds(),
                        VERSION))));
  }

  /** {@code POST /api/v1/unsubscribe {"user","channel"}}: revoke a channel from a user. */
  @PostMapping("/unsubscribe")
  Mono<Affected> unsubscribe(@RequestBody JsonNode body) {
    return Mono.defer(
        () -> {
          requests.onlyFields(body, Set.of("user", "channel"));
          String user = requests.string(body, "user");
          var channel = requests.channel(body, "channel");
          // Only connections that hold the channel are affected; revoking elsewhere is a no-op.
          return Flux.fromIterable(sessions.ofUser(user))
              .filter(session -> session.channels().contains(channel))
              .concatMap(session -> session.revoke(channel, "server unsubscribe").thenReturn(1))
              .count()
              .map(count -> new Affected(count.intValue()));
        });
  }

  /** {@code POST /api/v1/disconnect {"user","reconnect"}}: close a user's connections. */
  @PostMapping("/disconnect")
  Mono<Affected> disconnect(@RequestBody JsonNode body) {
    return Mono.fromSupplier(
        () -> {
          requests.onlyFields(body, Set.of("user", "reconnect"));
          String user = requests.string(body, "user");
          boolean reconnect = requests.bool(body, "reconnect", true);
          CloseCode code = reconnect ? CloseCode.RESTART : CloseCode.FORBIDDEN;
          List<ClientSession> held = sessions.ofUser(user);
          held.forEach(session -> session.disconnect(code, "disconnected by server"));
          return new Affected(held.size());
        });
  }

  /** Nodes of the cluster. */
  record Info(List<Node> nodes) {}

  /** One node's figures. */
  record Node(
      String name,
      int connections,
      Map<String, Long> connectionsByTransport,
      int subscriptions,
      long uptime,
      String version) {}

  /** How many connections an action reached. */
  record Affected(int connections) {}
}
