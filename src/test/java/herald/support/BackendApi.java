package herald.support;

import java.util.Map;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The backend API ({@code X-API-Key: test-api-key}) as a backend service calls it. */
public final class BackendApi {

  private static final JsonMapper JSON = JsonMapper.shared();

  private final WebTestClient web;

  public BackendApi(WebTestClient web) {
    this.web = web;
  }

  /** {@code POST /api/v1/publish}; returns {@code {"offset","epoch"}}. */
  public JsonNode publish(String channel, Object data) {
    return post("/api/v1/publish", Map.of("channel", channel, "data", Frames.json(data)));
  }

  /** {@code POST /api/v1/unsubscribe}. */
  public JsonNode unsubscribe(String user, String channel) {
    return post("/api/v1/unsubscribe", Map.of("user", user, "channel", channel));
  }

  /** {@code POST /api/v1/disconnect}. */
  public JsonNode disconnect(String user, boolean reconnect) {
    return post("/api/v1/disconnect", Map.of("user", user, "reconnect", reconnect));
  }

  private JsonNode post(String path, Map<String, Object> body) {
    String response =
        web.post()
            .uri(path)
            .header("X-API-Key", TestTokens.API_KEY)
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(JSON.writeValueAsString(body))
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(String.class)
            .returnResult()
            .getResponseBody();
    return JSON.readTree(response);
  }
}
