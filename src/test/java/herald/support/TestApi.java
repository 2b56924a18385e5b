package herald.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The backend API as a test calls it: over the node's real port, with {@code X-API-Key: } {@link
 * TestTokens#API_KEY} unless told otherwise. Bodies are read as text so that tests see exactly what
 * went over the wire.
 */
public final class TestApi {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final WebTestClient http;
  private final @Nullable String key;

  public TestApi(WebTestClient http) {
    this(http, TestTokens.API_KEY);
  }

  private TestApi(WebTestClient http, @Nullable String key) {
    this.http = http;
    this.key = key;
  }

  /** The same API with another key, or none ({@code null}). */
  public TestApi withKey(@Nullable String otherKey) {
    return new TestApi(http, otherKey);
  }

  public static JsonMapper json() {
    return JSON;
  }

  /** {@code POST /api/v1/publish}; asserts 200 and returns {@code {"offset","epoch"}}. */
  public JsonNode publish(String channel, Object data) {
    Answer answer = post("/api/v1/publish", Map.of("channel", channel, "data", data));
    assertThat(answer.status()).as("publish answer %s", answer.body()).isEqualTo(200);
    return answer.json();
  }

  /** POSTs {@code body} serialised as JSON. */
  public Answer post(String path, Object body) {
    return postRaw(path, JSON.writeValueAsString(body));
  }

  /** POSTs {@code body} as is, with {@code Content-Type: application/json}. */
  public Answer postRaw(String path, String body) {
    return answer(
        http.post()
            .uri(path)
            .headers(this::authenticate)
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(body)
            .exchange()
            .expectBody(String.class)
            .returnResult());
  }

  public Answer get(String path) {
    return answer(
        http.get()
            .uri(path)
            .headers(this::authenticate)
            .exchange()
            .expectBody(String.class)
            .returnResult());
  }

  private void authenticate(HttpHeaders headers) {
    if (key != null) {
      headers.set("X-API-Key", key);
    }
  }

  private static Answer answer(EntityExchangeResult<String> result) {
    String body = result.getResponseBody();
    return new Answer(
        result.getStatus().value(), result.getResponseHeaders(), body == null ? "" : body);
  }

  /**
   * One HTTP answer.
   *
   * @param status the HTTP status
   * @param headers the response headers
   * @param body the body as text
   */
  public record Answer(int status, HttpHeaders headers, String body) {

    public JsonNode json() {
      return JSON.readTree(body);
    }

    /** Asserts the README's error answer: this status and {@code {"error":{"code","message"}}}. */
    public Answer assertError(int code) {
      assertErrorAnswer(code, status, headers.getFirst(HttpHeaders.CONTENT_TYPE), body);
      return this;
    }
  }

  /**
   * Asserts an HTTP error answer as the README writes it: status {@code code}, a JSON body {@code
   * {"error":{"code":<code>,"message":"..."}}} and nothing else, with no stack trace or exception
   * name leaking into it.
   */
  public static void assertErrorAnswer(
      int code, int status, @Nullable String contentType, String body) {
    assertThat(status).as("status of %s", body).isEqualTo(code);
    assertThat(contentType).as("Content-Type").isNotNull();
    assertThat(MediaType.parseMediaType(contentType).isCompatibleWith(MediaType.APPLICATION_JSON))
        .as("Content-Type %s is JSON", contentType)
        .isTrue();
    JsonNode root = JSON.readTree(body);
    assertThat(root.propertyNames()).as("top-level fields of %s", body).containsExactly("error");
    JsonNode error = root.get("error");
    assertThat(error.propertyNames())
        .as("error fields of %s, in the README's order", body)
        .containsExactly("code", "message");
    assertThat(error.get("code").isInt()).as("code is a number in %s", body).isTrue();
    assertThat(error.get("code").asInt()).isEqualTo(code);
    assertThat(error.get("message").isString()).as("message is a string in %s", body).isTrue();
    assertThat(error.get("message").asString()).isNotBlank();
    assertThat(body)
        .as("no stack trace or exception name in the body")
        .doesNotContain("Exception", "\tat ", "\n\tat", "at herald.", "at org.", "at java.");
  }
}
