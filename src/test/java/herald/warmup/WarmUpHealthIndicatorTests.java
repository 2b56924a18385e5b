package herald.warmup;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;

class WarmUpHealthIndicatorTests {

  @Test
  void downUntilTheWarmUpIsOverWhateverTheOutcome() {
    assertThat(status(WarmUpStatus.WAITING)).isEqualTo(Status.DOWN);
    assertThat(status(WarmUpStatus.RUNNING)).isEqualTo(Status.DOWN);
    assertThat(status(WarmUpStatus.done(Map.of("connections", 3)))).isEqualTo(Status.UP);
    assertThat(status(WarmUpStatus.skipped("off"))).isEqualTo(Status.UP);
    assertThat(status(WarmUpStatus.failed("timeout"))).isEqualTo(Status.UP);
  }

  private static Status status(WarmUpStatus status) {
    return new WarmUpHealthIndicator(() -> status).health().getStatus();
  }
}
