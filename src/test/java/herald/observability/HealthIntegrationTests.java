package herald.observability;

import herald.support.HeraldIntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Probes on the in-memory engine: both UP, with no token or API key needed. */
@HeraldIntegrationTest
class HealthIntegrationTests {

  @Autowired WebTestClient http;

  @Test
  void readinessIncludingTheEngineAndLivenessAreUp() {
    http.get()
        .uri("/actuator/health/readiness")
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody()
        .jsonPath("$.status")
        .isEqualTo("UP");
    http.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
  }
}
