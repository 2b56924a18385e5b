package herald.cluster;

import herald.engine.Backplane;
import herald.engine.EngineUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import tools.jackson.databind.json.JsonMapper;

/**
 * The live nodes: this node reports its figures to the backplane every heartbeat, and a node whose
 * reports stop (it died) drops out of the list once its last report expires.
 */
final class NodeDirectory implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(NodeDirectory.class);

  private final Backplane backplane;
  private final LocalNode local;
  private final JsonMapper json;
  private final Duration nodeTimeout;
  private final Disposable heartbeats;

  NodeDirectory(
      Backplane backplane,
      LocalNode local,
      JsonMapper json,
      ClusterProperties properties,
      Scheduler timer) {
    this.backplane = backplane;
    this.local = local;
    this.json = json;
    this.nodeTimeout = properties.nodeTimeout();
    this.heartbeats =
        Flux.interval(Duration.ZERO, properties.heartbeat(), timer)
            .onBackpressureDrop()
            .concatMap(tick -> report())
            .subscribe();
  }

  private Mono<Void> report() {
    return Mono.defer(
            () ->
                backplane.report(
                    local.name(), json.writeValueAsString(local.figures()), nodeTimeout))
        .onErrorResume(
            error -> {
              log.debug("node report failed: {}", error.toString());
              return Mono.empty();
            });
  }

  /** The live nodes, this one first with figures of this instant. */
  Mono<Cluster.Nodes> nodes() {
    return backplane
        .reports()
        .map(reports -> new Cluster.Nodes(withThisNode(reports), false))
        .onErrorResume(
            EngineUnavailableException.class,
            error -> Mono.just(new Cluster.Nodes(List.of(local.figures()), true)));
  }

  private List<NodeFigures> withThisNode(Map<String, String> reports) {
    List<NodeFigures> others = new ArrayList<>();
    reports.forEach(
        (name, report) -> {
          if (!name.equals(local.name())) {
            try {
              others.add(json.readValue(report, NodeFigures.class));
            } catch (RuntimeException e) {
              log.warn("node={} unreadable report skipped: {}", name, e.toString());
            }
          }
        });
    others.sort(Comparator.comparing(NodeFigures::name));
    List<NodeFigures> nodes = new ArrayList<>(others.size() + 1);
    nodes.add(local.figures());
    nodes.addAll(others);
    return nodes;
  }

  /** Stops reporting and leaves the directory, waiting at most a second for the backplane. */
  @Override
  public void close() {
    heartbeats.dispose();
    try {
      backplane.withdraw(local.name()).toFuture().get(1, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      log.info("node left the directory by expiry, not withdrawal: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
