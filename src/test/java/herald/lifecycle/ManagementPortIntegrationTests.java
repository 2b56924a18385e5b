package herald.lifecycle;

import static org.awaitility.Awaitility.await;

import herald.support.RedisServerExtension;
import herald.support.TestTokens;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * {@code management.server.port} ({@code MANAGEMENT_SERVER_PORT}) moves the actuator off the client
 * port, as the Kubernetes manifests do: probes and metrics answer only there, with the same health
 * groups, readiness still includes the Redis engine, and the client port no longer serves them.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "management.server.port=0",
      "management.server.address=127.0.0.1",
      // Shows which contributors the group holds, so the test can see the engine is one of them.
      "management.endpoint.health.group.readiness.show-components=always"
    })
@DirtiesContext
class ManagementPortIntegrationTests {

  @RegisterExtension static final RedisServerExtension redis = RedisServerExtension.dedicated();

  @DynamicPropertySource
  static void redisUrl(DynamicPropertyRegistry registry) {
    registry.add("herald.redis.url", redis::url);
  }

  @LocalServerPort int port;
  @LocalManagementPort int managementPort;

  private WebTestClient clients;
  private WebTestClient management;

  @BeforeEach
  void clients() {
    clients = WebTestClient.bindToServer(unpooled()).baseUrl("http://127.0.0.1:" + port).build();
    // The engine's health check waits up to 2 s for Redis; on a loaded machine more.
    management =
        WebTestClient.bindToServer(unpooled())
            .baseUrl("http://127.0.0.1:" + managementPort)
            .responseTimeout(Duration.ofSeconds(30))
            .build();
  }

  @Test
  void probesAndMetricsAnswerOnTheManagementPortOnly() {
    management
        .get()
        .uri("/actuator/health/readiness")
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody()
        .jsonPath("$.status")
        .isEqualTo("UP")
        .jsonPath("$.components.engine.status")
        .isEqualTo("UP")
        .jsonPath("$.components.readinessState.status")
        .isEqualTo("UP");
    management.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
    management.get().uri("/actuator/prometheus").exchange().expectStatus().isOk();

    clients.get().uri("/actuator/health/readiness").exchange().expectStatus().isNotFound();
    clients.get().uri("/actuator/prometheus").exchange().expectStatus().isNotFound();
  }

  @Test
  void readinessOnTheManagementPortFollowsTheEngine() {
    redis.stop();
    try {
      await().atMost(Duration.ofSeconds(60)).until(() -> readinessStatus() == 503);
      management
          .get()
          .uri("/actuator/health/readiness")
          .exchange()
          .expectBody()
          .jsonPath("$.components.engine.status")
          .isEqualTo("DOWN");
      management.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
    } finally {
      redis.start();
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> readinessStatus() == 200);
  }

  /**
   * A new connection per request. The default client keeps connections in a pool shared by every
   * test class of the JVM; a pooled connection to a port an earlier test's server used (ports from
   * 0 can come back) may be one no server answers on any more.
   */
  private static ReactorClientHttpConnector unpooled() {
    return new ReactorClientHttpConnector(HttpClient.create(ConnectionProvider.newConnection()));
  }

  private int readinessStatus() {
    return management
        .get()
        .uri("/actuator/health/readiness")
        .exchange()
        .returnResult(String.class)
        .getStatus()
        .value();
  }
}
