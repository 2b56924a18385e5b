package herald.api;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.HeraldIntegrationTest;
import herald.support.TestApi;
import herald.support.TestIds;
import herald.support.TestTokens;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;

/** {@code GET /api/v1/stream}, the console's feed, and {@code GET /console}, over real sockets. */
@HeraldIntegrationTest
class ConsoleStreamIntegrationTests {

  private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE =
      new ParameterizedTypeReference<>() {};

  private WebTestClient http;

  @Autowired
  void client(WebTestClient http) {
    // A stream's headers come with its first event; a loaded machine may take longer than 5 s.
    this.http = http.mutate().responseTimeout(Duration.ofSeconds(30)).build();
  }

  @Test
  void withoutTheApiKeyTheStreamIsRefused() {
    http.get().uri("/api/v1/stream").exchange().expectStatus().isUnauthorized();
  }

  @Test
  void snapshotsListTheNodesAndAWatchedChannelsPublicationsArrive() {
    String channel = "news:" + TestIds.next("console");
    TestApi api = new TestApi(http);
    api.publish(channel, Map.of("n", 1));

    Flux<ServerSentEvent<String>> events =
        http.get()
            .uri("/api/v1/stream?channel=" + channel)
            .header("X-API-Key", TestTokens.API_KEY)
            .accept(MediaType.TEXT_EVENT_STREAM)
            .exchange()
            .expectStatus()
            .isOk()
            .returnResult(SSE)
            .getResponseBody();

    List<ServerSentEvent<String>> first =
        events
            .publishOn(Schedulers.boundedElastic()) // the publishing below blocks
            .doOnNext(
                event -> {
                  if ("snapshot".equals(event.event())) {
                    api.publish(channel, Map.of("n", 2));
                  }
                })
            .filter(event -> "message".equals(event.event()))
            .take(2)
            .collectList()
            .block(Duration.ofSeconds(20));

    assertThat(first).hasSize(2);
    JsonNode recent = TestApi.json().readTree(first.get(0).data());
    JsonNode live = TestApi.json().readTree(first.get(1).data());
    assertThat(recent.path("data").path("n").asInt()).isEqualTo(1);
    assertThat(live.path("data").path("n").asInt()).isEqualTo(2);
    assertThat(live.path("offset").asLong()).isEqualTo(2);
  }

  @Test
  void aSnapshotCarriesEveryNodesFigures() {
    ServerSentEvent<String> snapshot =
        http.get()
            .uri("/api/v1/stream")
            .header("X-API-Key", TestTokens.API_KEY)
            .exchange()
            .returnResult(SSE)
            .getResponseBody()
            .filter(event -> "snapshot".equals(event.event()))
            .blockFirst(Duration.ofSeconds(10));

    JsonNode body = TestApi.json().readTree(snapshot.data());
    assertThat(body.path("nodes")).hasSize(1);
    assertThat(body.path("nodes").get(0).has("connections")).isTrue();
    assertThat(body.path("channels").isArray()).isTrue();
    assertThat(body.path("partial").asBoolean()).isFalse();
  }

  @Test
  void theConsolePageIsServedAsHtml() {
    http.get()
        .uri("/console")
        .exchange()
        .expectStatus()
        .isOk()
        .expectHeader()
        .contentTypeCompatibleWith(MediaType.TEXT_HTML)
        .expectBody(String.class)
        .value(html -> assertThat(html).contains("Sign in with the API key"));
  }
}
