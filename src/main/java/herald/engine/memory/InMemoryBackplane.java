package herald.engine.memory;

import herald.engine.Backplane;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;

/**
 * The backplane of a single node: the directory holds this node's report, and every message goes
 * straight to this node's listener.
 */
public final class InMemoryBackplane implements Backplane {

  private static final Consumer<String> NOBODY = message -> {};

  private final Clock clock;
  // Holds only nodes that reported through this process: one, in practice.
  private final Map<String, Report> reports = new ConcurrentHashMap<>();
  private volatile String self = "";
  private volatile Consumer<String> listener = NOBODY;

  public InMemoryBackplane(Clock clock) {
    this.clock = clock;
  }

  @Override
  public Mono<Void> report(String node, String report, Duration ttl) {
    return Mono.fromRunnable(
        () -> reports.put(node, new Report(report, clock.instant().plus(ttl))));
  }

  @Override
  public Mono<Void> withdraw(String node) {
    return Mono.fromRunnable(() -> reports.remove(node));
  }

  @Override
  public Mono<Map<String, String>> reports() {
    return Mono.fromSupplier(
        () -> {
          Instant now = clock.instant();
          reports.values().removeIf(report -> !report.expires().isAfter(now));
          Map<String, String> live = new TreeMap<>();
          reports.forEach((node, report) -> live.put(node, report.text()));
          return live;
        });
  }

  @Override
  public Mono<Void> broadcast(String message) {
    return Mono.fromRunnable(() -> listener.accept(message));
  }

  @Override
  public Mono<Void> send(String node, String message) {
    return Mono.fromRunnable(
        () -> {
          if (node.equals(self)) {
            listener.accept(message);
          }
        });
  }

  /**
   * Always admits: on a single node the connection directory already counts every connection of the
   * user against the limit, before it claims.
   */
  @Override
  public Mono<Boolean> claim(String user, String id, int limit, Duration ttl) {
    return Mono.just(true);
  }

  @Override
  public Mono<Void> renew(String user, Collection<String> ids, Duration ttl) {
    return Mono.empty();
  }

  @Override
  public Mono<Void> release(String user, String id) {
    return Mono.empty();
  }

  @Override
  public boolean shared() {
    return false;
  }

  @Override
  public void listen(String node, Consumer<String> listener) {
    this.self = node;
    this.listener = listener;
  }

  private record Report(String text, Instant expires) {}
}
