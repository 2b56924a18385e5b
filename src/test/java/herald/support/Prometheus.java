package herald.support;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * One scrape of {@code /actuator/prometheus}, as Prometheus reads it: every sample by its series,
 * spelled as the exposition format prints it, e.g. {@code
 * herald_deliveries_total{transport="websocket"}}.
 */
public final class Prometheus {

  private final Map<String, Double> samples;

  private Prometheus(Map<String, Double> samples) {
    this.samples = samples;
  }

  // A scrape renders every meter of the JVM too; on a loaded machine it can take longer than the
  // client's default of 5 s.
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** Scrapes the node behind {@code http}. */
  public static Prometheus scrape(WebTestClient http) {
    String text =
        http.mutate()
            .responseTimeout(TIMEOUT)
            .build()
            .get()
            .uri("/actuator/prometheus")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(String.class)
            .returnResult()
            .getResponseBody();
    Map<String, Double> samples = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int space = line.lastIndexOf(' ');
      samples.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
    }
    return new Prometheus(samples);
  }

  /** The sample of {@code series}; fails when the scrape has no such series. */
  public double value(String series) {
    Double value = samples.get(series);
    if (value == null) {
      throw new AssertionError("no series " + series + " in the scrape");
    }
    return value;
  }

  /** How far {@code series} moved since {@code earlier}. */
  public double since(Prometheus earlier, String series) {
    return value(series) - earlier.value(series);
  }

  public boolean has(String series) {
    return samples.containsKey(series);
  }
}
