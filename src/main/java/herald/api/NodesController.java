package herald.api;

import herald.cluster.Cluster;
import herald.cluster.NodeFigures;
import herald.security.AuthMode;
import java.util.List;
import java.util.Set;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** The cluster's nodes and acting on a user's connections, on every node. */
@RestController
@RequestMapping("/api/v1")
class NodesController {

  private final Cluster cluster;
  private final ApiRequests requests;
  private final boolean insecure;

  NodesController(Cluster cluster, ApiRequests requests, AuthMode authMode) {
    this.cluster = cluster;
    this.requests = requests;
    this.insecure = authMode.insecure();
  }

  /**
   * {@code GET /api/v1/info}: every live node, this one first, and whether this node runs in
   * insecure development mode.
   */
  @GetMapping("/info")
  Mono<Info> info() {
    return cluster.nodes().map(nodes -> new Info(nodes.nodes(), nodes.partial(), insecure));
  }

  /**
   * {@code POST /api/v1/subscribe {"user","channel"}}: subscribe a user's WebSocket connections to
   * a channel, on every node.
   */
  @PostMapping("/subscribe")
  Mono<Subscribed> subscribe(@RequestBody JsonNode body) {
    return Mono.defer(
        () -> {
          requests.onlyFields(body, Set.of("user", "channel"));
          String user = requests.string(body, "user");
          var channel = requests.channel(body, "channel");
          return cluster
              .subscribe(user, channel)
              .map(done -> new Subscribed(done.connections(), done.refused(), done.partial()));
        });
  }

  /** {@code POST /api/v1/unsubscribe {"user","channel"}}: revoke a channel from a user. */
  @PostMapping("/unsubscribe")
  Mono<Affected> unsubscribe(@RequestBody JsonNode body) {
    return Mono.defer(
        () -> {
          requests.onlyFields(body, Set.of("user", "channel"));
          String user = requests.string(body, "user");
          var channel = requests.channel(body, "channel");
          return cluster.unsubscribe(user, channel).map(Affected::of);
        });
  }

  /** {@code POST /api/v1/disconnect {"user","reconnect"}}: close a user's connections. */
  @PostMapping("/disconnect")
  Mono<Affected> disconnect(@RequestBody JsonNode body) {
    return Mono.defer(
        () -> {
          requests.onlyFields(body, Set.of("user", "reconnect"));
          String user = requests.string(body, "user");
          boolean reconnect = requests.bool(body, "reconnect", true);
          return cluster.disconnect(user, reconnect).map(Affected::of);
        });
  }

  /**
   * Nodes of the cluster; {@code partial} when the directory could not be read and only this node
   * is listed; {@code insecure} when this node does not verify token signatures.
   */
  record Info(List<NodeFigures> nodes, boolean partial, boolean insecure) {}

  /**
   * The answer to a subscribe: connections that hold the channel now (newly or already), those left
   * out at their channel limit, and whether some node did not answer in time.
   */
  record Subscribed(int connections, int refused, boolean partial) {}

  /**
   * How many connections an action reached; {@code partial} when some node did not answer in time.
   */
  record Affected(int connections, boolean partial) {
    static Affected of(Cluster.Reach reach) {
      return new Affected(reach.connections(), reach.partial());
    }
  }
}
