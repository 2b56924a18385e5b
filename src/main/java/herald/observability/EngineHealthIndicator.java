package herald.observability;

import herald.engine.Engine;
import java.time.Duration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import reactor.core.publisher.Mono;

/**
 * The engine's health, part of readiness: DOWN while the engine cannot serve (Redis unreachable,
 * circuit open), so a load balancer sends new clients elsewhere. Liveness does not include it: a
 * node without Redis keeps its connections and must not be restarted for it.
 */
final class EngineHealthIndicator implements ReactiveHealthIndicator {

  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private final Engine engine;

  EngineHealthIndicator(Engine engine) {
    this.engine = engine;
  }

  @Override
  public Mono<Health> health() {
    return engine
        .ping()
        .timeout(TIMEOUT)
        .then(Mono.fromSupplier(() -> Health.up().build()))
        .onErrorResume(
            error -> Mono.just(Health.down().withDetail("engine", "unavailable").build()));
  }
}
