package herald.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import herald.HeraldApplication;
import herald.support.RedisServerExtension;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * A node started with the dev overlay's environment exactly as the pod gets it (ConfigMap, Secret,
 * literal variables; only the Redis host and the two ports are this machine's) answers the
 * manifests' probe and scrape paths on the management port, and nothing of {@code /actuator} on the
 * client port the Ingress reaches.
 */
class KubernetesManifestsIntegrationTests {

  @RegisterExtension static final RedisServerExtension redis = RedisServerExtension.shared();

  static Manifests dev;
  static Container container;
  static ConfigurableApplicationContext node;
  // Generous per request: the first one warms the management port's handlers, and on a loaded build
  // machine that took over 10 s.
  static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();

  @BeforeAll
  static void startANodeWithTheDevOverlaysEnvironment() {
    dev = Manifests.render("overlays/dev");
    container = dev.heraldContainer();
    Map<String, String> environment = new LinkedHashMap<>(dev.environment(container));
    URI redisUrl = URI.create(environment.get("HERALD_REDIS_URL"));
    assertThat(redisUrl.getHost()).isEqualTo("herald-redis");
    environment.put("HERALD_REDIS_URL", redis.url());
    // Plain log lines in the build's output; the ECS format is Spring Boot's and needs no test
    // here.
    environment.remove("LOGGING_STRUCTURED_FORMAT_CONSOLE");
    ApplicationListener<ApplicationEnvironmentPreparedEvent> podEnvironment =
        event ->
            event
                .getEnvironment()
                .getPropertySources()
                .addBefore(
                    StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                    new SystemEnvironmentPropertySource("pod", Map.copyOf(environment)));
    node =
        new SpringApplicationBuilder(HeraldApplication.class)
            .listeners(podEnvironment)
            .run(
                "--server.port=0",
                "--management.server.port=0",
                "--server.address=127.0.0.1",
                "--management.server.address=127.0.0.1");
  }

  @AfterAll
  static void stopTheNode() {
    if (node != null) {
      node.close();
    }
  }

  @Test
  void probesAndTheScrapePathAnswerOnTheManagementPort() throws Exception {
    int management = port("local.management.port");

    for (String path :
        List.of(
            container.getStartupProbe().getHttpGet().getPath(),
            container.getLivenessProbe().getHttpGet().getPath(),
            container.getReadinessProbe().getHttpGet().getPath())) {
      HttpResponse<String> response = get(management, path);
      assertThat(response.statusCode()).as(path).isEqualTo(200);
      assertThat(response.body()).as(path).contains("\"status\":\"UP\"");
    }
    String scrapePath = scrapePath(Manifests.render("base"));
    HttpResponse<String> metrics = get(management, scrapePath);
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body()).contains("jvm_memory_used_bytes");
  }

  @Test
  void theClientPortServesClientsButNoActuator() throws Exception {
    int client = port("local.server.port");

    assertThat(get(client, container.getReadinessProbe().getHttpGet().getPath()).statusCode())
        .isEqualTo(404);
    assertThat(get(client, "/actuator/prometheus").statusCode()).isEqualTo(404);
    String apiKey = dev.environment(container).get("HERALD_API_KEY");
    HttpResponse<String> info =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + client + "/api/v1/info"))
                .header("X-API-Key", apiKey)
                .timeout(Duration.ofSeconds(60))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(info.statusCode()).as("the API key from the overlay's Secret works").isEqualTo(200);
    assertThat(get(client, "/api/v1/info").statusCode()).isIn(401, 403);
  }

  private static int port(String property) {
    return Integer.parseInt(node.getEnvironment().getRequiredProperty(property));
  }

  private static String scrapePath(Manifests base) {
    var monitor = (GenericKubernetesResource) base.ofKind("ServiceMonitor").get(0);
    Map<String, Object> spec = Kustomize.map(monitor.getAdditionalProperties().get("spec"));
    return (String) Kustomize.map(((List<?>) spec.get("endpoints")).get(0)).get("path");
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(60))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
