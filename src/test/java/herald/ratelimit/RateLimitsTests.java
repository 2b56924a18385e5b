package herald.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.resilience4j.ratelimiter.RateLimiter;
import org.junit.jupiter.api.Test;

class RateLimitsTests {

  // 20 connections per address in a 20 s window (1/s with bursts of 20): a test thread that a busy
  // machine holds up for a second still sees the burst run out within one window.
  private static RateLimitProperties properties(int trackedIps) {
    return new RateLimitProperties(true, 50, 100, 1, 20, 10_000, 10_000, trackedIps);
  }

  @Test
  void manyDistinctAddressesCannotGrowTheTrackedSetBeyondItsBound() {
    RateLimits limits = new RateLimits(properties(1_000));
    for (int i = 0; i < 50_000; i++) {
      limits.acquireConnection("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255));
    }
    assertThat(limits.trackedIps()).isLessThanOrEqualTo(1_000);
  }

  @Test
  void anAddressGetsItsBurstThenIsRefusedWithARetryAfter() {
    // 1/s with bursts of 20: a 20-second window, which no busy machine stretches the loop past.
    RateLimits limits =
        new RateLimits(new RateLimitProperties(true, 50, 100, 1, 20, 10_000, 10_000, 10));
    for (int i = 0; i < 20; i++) {
      limits.acquireConnection("192.0.2.1");
    }
    assertThatThrownBy(() -> limits.acquireConnection("192.0.2.1"))
        .isInstanceOfSatisfying(
            RateLimitedException.class, e -> assertThat(e.retryAfter().toSeconds()).isPositive());
    limits.acquireConnection("192.0.2.2");
  }

  @Test
  void aRateWithBurstsBecomesBurstPermitsPerBurstOverRateSeconds() {
    RateLimiter frames = new RateLimits(properties(10)).inboundFrames();
    assertThat(frames.getRateLimiterConfig().getLimitForPeriod()).isEqualTo(100);
    assertThat(frames.getRateLimiterConfig().getLimitRefreshPeriod().toMillis()).isEqualTo(2_000);
    assertThat(frames.getRateLimiterConfig().getTimeoutDuration()).isZero();
  }

  @Test
  void aBroadcastLargerThanTheBurstIsRefusedAtOnce() {
    RateLimits limits = new RateLimits(properties(10));
    assertThatThrownBy(() -> limits.acquireApiPublishes(10_001))
        .isInstanceOf(RateLimitedException.class);
    limits.acquireApiPublishes(10_000);
  }
}
