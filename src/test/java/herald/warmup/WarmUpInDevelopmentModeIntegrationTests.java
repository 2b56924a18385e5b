package herald.warmup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * The README's first command runs in development mode, where the warm-up connects without tokens,
 * as any tokenless client may there.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.insecure=true",
      "herald.warm-up.connections=20",
      "herald.warm-up.publications=3"
    })
class WarmUpInDevelopmentModeIntegrationTests {

  @Autowired SelfWarmUp warmUp;

  @Test
  void warmsUpWithoutTokens() {
    await().atMost(Duration.ofSeconds(30)).until(() -> warmUp.status().over());

    assertThat(warmUp.status().details())
        .containsEntry("state", "done")
        .containsEntry("connections", 20)
        .containsEntry("sseStreams", 2L)
        .containsEntry("deliveries", 60L);
  }
}
