package herald.warmup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.registry.ChannelRegistry;
import herald.support.RedisServerExtension;
import herald.support.TestTokens;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * On the Redis engine the warm-up's publications go through Redis and come back over pub/sub, and
 * its connections hold claims and presence there like any others; it completes all the same.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "herald.warm-up.connections=30",
      "herald.warm-up.publications=5"
    })
// A cached context would keep its Redis connections for the rest of the run.
@DirtiesContext
class WarmUpOnRedisIntegrationTests {

  @RegisterExtension static final RedisServerExtension redis = RedisServerExtension.shared();

  @Autowired SelfWarmUp warmUp;
  @Autowired ChannelRegistry registry;

  @DynamicPropertySource
  static void redisUrl(DynamicPropertyRegistry properties) {
    redis.start();
    properties.add("herald.redis.url", redis::url);
  }

  @Test
  void everyConnectionGetsEveryPublicationThroughRedis() {
    await().atMost(Duration.ofSeconds(30)).until(() -> warmUp.status().over());

    assertThat(warmUp.status().details())
        .containsEntry("state", "done")
        .containsEntry("connections", 30)
        .containsEntry("sseStreams", 3L)
        .containsEntry("deliveries", 150L);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> registry.subscriptionCount() == 0 && registry.channelCount() == 0);
  }
}
