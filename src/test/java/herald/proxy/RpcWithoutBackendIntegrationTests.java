package herald.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.HeraldIntegrationTest;
import herald.support.TestTokens;
import herald.support.TestWebSocketClient;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/** Without {@code herald.proxy.rpc}, {@code rpc} is answered 404 at once, on both transports. */
@HeraldIntegrationTest
class RpcWithoutBackendIntegrationTests {

  @LocalServerPort int port;

  @Autowired WebTestClient http;

  private final String token = TestTokens.user("alice").token();

  @Test
  void rpcOverWebSocketIs404() {
    try (TestWebSocketClient ws = TestWebSocketClient.to(port).bearer(token).open()) {
      JsonNode reply = ws.request(1, "{\"id\":1,\"op\":\"rpc\",\"method\":\"anything\"}");

      assertThat(reply.path("error").path("code").asInt()).isEqualTo(404);
      assertThat(reply.path("error").path("message").asString())
          .isEqualTo("rpc is not enabled on this server (herald.proxy.rpc)");
    }
  }

  @Test
  void rpcOverSseCommandsIs404() {
    http.post()
        .uri("/sse/commands")
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + token)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Map.of("id", 1, "op", "rpc", "method", "anything", "data", 1))
        .exchange()
        .expectStatus()
        .isNotFound()
        .expectBody()
        .jsonPath("$.error.code")
        .isEqualTo(404);
  }

  @Test
  void anRpcWithoutAMethodIsABadRequest() {
    try (TestWebSocketClient ws = TestWebSocketClient.to(port).bearer(token).open()) {
      JsonNode reply = ws.request(1, "{\"id\":1,\"op\":\"rpc\",\"data\":{}}");

      assertThat(reply.path("error").path("code").asInt()).isEqualTo(400);
      assertThat(reply.path("error").path("message").asString())
          .isEqualTo("field 'method' must be a string");
    }
  }
}
