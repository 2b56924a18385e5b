package herald.engine.redis;

import static org.awaitility.Awaitility.await;

import herald.support.TestChannelOptions;
import java.time.Duration;
import tools.jackson.databind.json.JsonMapper;

/** Redis engines for tests, started as a node starts them: connecting in the background. */
final class RedisEngines {

  // Seconds on a quiet machine; a machine at load average 16 once took more than 10.
  static final Duration READY_WITHIN = Duration.ofSeconds(30);

  private RedisEngines() {}

  /** An engine on {@code properties}, just constructed: it connects in the background. */
  static RedisEngine starting(RedisProperties properties) {
    return new RedisEngine(properties, new TestChannelOptions(), JsonMapper.shared());
  }

  /** An engine on {@code properties}, once it is ready (every connection open, PING answered). */
  static RedisEngine ready(RedisProperties properties) {
    return awaitReady(starting(properties));
  }

  /** Waits until {@code engine} is ready, as readiness would. */
  static RedisEngine awaitReady(RedisEngine engine) {
    await().atMost(READY_WITHIN).pollInterval(Duration.ofMillis(20)).until(() -> isReady(engine));
    return engine;
  }

  static boolean isReady(RedisEngine engine) {
    try {
      engine.ping().block(Duration.ofSeconds(2));
      return true;
    } catch (RuntimeException notYet) {
      return false;
    }
  }
}
