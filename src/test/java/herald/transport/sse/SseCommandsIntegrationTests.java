package herald.transport.sse;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.HeraldIntegrationTest;
import herald.support.TestIds;
import herald.support.TestSseClient;
import herald.support.TestSseClient.Event;
import herald.support.TestTokens;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code POST /sse/commands}: the way up for clients that read over SSE (the browser client's
 * fallback when WebSocket cannot connect), over real sockets.
 */
@HeraldIntegrationTest
class SseCommandsIntegrationTests {

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  private final JsonMapper json = JsonMapper.builder().build();
  private String run;

  @BeforeEach
  void setUp() {
    run = TestIds.next("cmd");
  }

  @Test
  void publishedOverHttpReachesTheSseStreamOfTheSameUser() {
    String channel = "chat:" + run;
    String token = TestTokens.user("alice").subscribe("chat:*").publish("chat:*").token();
    try (TestSseClient sse =
        TestSseClient.to(port).channel(channel).bearer(token).openSubscribed()) {
      JsonNode reply =
          post(token, Map.of("id", 7, "op", "publish", "channel", channel, "data", Map.of("n", 1)));

      assertThat(reply.path("id").asLong()).isEqualTo(7);
      assertThat(reply.path("result").path("offset").asLong()).isEqualTo(1);
      Event message = sse.nextEvent();
      assertThat(message.event()).isEqualTo("message");
      JsonNode publication = json.readTree(message.data());
      assertThat(publication.path("data").path("n").asInt()).isEqualTo(1);
      assertThat(publication.path("from").asString()).isEqualTo("alice");
    }
  }

  @Test
  void historyAndPresenceAnswerAsOnWebSocket() {
    String channel = "chat:" + run;
    String token = TestTokens.user("bob").subscribe("chat:*").publish("chat:*").token();
    post(token, Map.of("id", 1, "op", "publish", "channel", channel, "data", "a"));
    post(token, Map.of("id", 2, "op", "publish", "channel", channel, "data", "b"));

    JsonNode history =
        post(token, Map.of("id", 3, "op", "history", "channel", channel, "limit", 10));
    assertThat(history.path("result").path("publications")).hasSize(2);
    assertThat(history.path("result").path("offset").asLong()).isEqualTo(2);

    JsonNode presence = post(token, Map.of("id", 4, "op", "presence", "channel", channel));
    assertThat(presence.path("result").path("clients").isArray()).isTrue();

    JsonNode ping = post(token, Map.of("id", 5, "op", "ping"));
    assertThat(ping.path("result").isObject()).isTrue();
  }

  @Test
  void channelsTheTokenDoesNotPermitAreRefusedAndNothingIsPublished() {
    String token = TestTokens.user("carol").subscribe("chat:*").publish("chat:*").token();
    exchange(token, Map.of("id", 1, "op", "publish", "channel", "document:" + run, "data", 1))
        .expectStatus()
        .isForbidden()
        .expectBody()
        .jsonPath("$.error.code")
        .isEqualTo(403);
    exchange(token, Map.of("id", 2, "op", "history", "channel", "document:" + run))
        .expectStatus()
        .isForbidden();
  }

  @Test
  void aBadTokenIsRefusedWith401() {
    exchange("not-a-token", Map.of("id", 1, "op", "ping")).expectStatus().isUnauthorized();
  }

  @Test
  void connectionScopedOpsAndMalformedFramesAreBadRequests() {
    String token = TestTokens.user("dave").subscribe("chat:*").token();
    exchange(token, Map.of("id", 1, "op", "subscribe", "channel", "chat:" + run))
        .expectStatus()
        .isBadRequest();
    exchange(token, Map.of("id", 1, "op", "nonsense")).expectStatus().isBadRequest();
    http.post()
        .uri("/sse/commands")
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{not json")
        .exchange()
        .expectStatus()
        .isBadRequest();
  }

  @Test
  void aRequestLargerThanTheMessageLimitIs413() {
    String token = TestTokens.user("erin").publish("chat:*").token();
    String big = "x".repeat(70 * 1024);
    exchange(token, Map.of("id", 1, "op", "publish", "channel", "chat:" + run, "data", big))
        .expectStatus()
        .isEqualTo(413);
  }

  private JsonNode post(String token, Map<String, Object> frame) {
    byte[] body =
        exchange(token, frame)
            .expectStatus()
            .isOk()
            .expectHeader()
            .contentType(MediaType.APPLICATION_JSON)
            .expectBody(byte[].class)
            .returnResult()
            .getResponseBody();
    return json.readTree(body);
  }

  private WebTestClient.ResponseSpec exchange(String token, Map<String, Object> frame) {
    return http.post()
        .uri("/sse/commands")
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(json.writeValueAsString(frame))
        .exchange();
  }
}
