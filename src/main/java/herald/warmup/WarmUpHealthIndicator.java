package herald.warmup;

import java.util.function.Supplier;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * The warm-up as part of readiness: DOWN until it is over, so a load balancer sends the node no
 * client before its first handshakes and deliveries have been compiled. Liveness does not include
 * it.
 */
final class WarmUpHealthIndicator implements HealthIndicator {

  private final Supplier<WarmUpStatus> warmUp;

  WarmUpHealthIndicator(Supplier<WarmUpStatus> warmUp) {
    this.warmUp = warmUp;
  }

  @Override
  public Health health() {
    WarmUpStatus status = warmUp.get();
    return (status.over() ? Health.up() : Health.down()).withDetails(status.details()).build();
  }
}
