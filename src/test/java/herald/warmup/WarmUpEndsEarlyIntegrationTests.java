package herald.warmup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.registry.ChannelRegistry;
import herald.support.TestTokens;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * A warm-up that cannot finish within its timeout (half a million deliveries in one second) ends
 * there: the node is ready anyway, and the warm-up's connections and subscriptions are gone.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "herald.warm-up.connections=500",
      "herald.warm-up.publications=1000",
      "herald.warm-up.timeout=1s"
    })
@AutoConfigureWebTestClient
class WarmUpEndsEarlyIntegrationTests {

  private static final Duration WAIT = Duration.ofSeconds(30);

  @Autowired SelfWarmUp warmUp;
  @Autowired ChannelRegistry registry;
  @Autowired WebTestClient http;

  @Test
  void theNodeIsReadyAnywayAndTheWarmUpLeavesNothingBehind() {
    await().atMost(WAIT).until(() -> warmUp.status().over());

    assertThat(warmUp.status().details()).containsEntry("state", "ended early");
    http.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
    await()
        .atMost(WAIT)
        .until(() -> registry.subscriptionCount() == 0 && registry.channelCount() == 0);
  }
}
