package herald.security;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;

/**
 * Where a client's token is read: the header anywhere, the query parameter on /sse and /ws only.
 */
class BearerTokensTests {

  @ParameterizedTest
  @ValueSource(strings = {"/sse", "/ws"})
  void theQueryParameterIsReadWhereBrowsersCannotSetHeaders(String path) {
    assertThat(BearerTokens.of(MockServerHttpRequest.get(path + "?token=abc").build()))
        .isEqualTo("abc");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/", "/actuator/health", "/api/v1/info", "/sse/x", "/index.html"})
  void theQueryParameterIsIgnoredEverywhereElse(String path) {
    assertThat(BearerTokens.of(MockServerHttpRequest.get(path + "?token=abc").build())).isNull();
  }

  @Test
  void theHeaderIsReadEverywhere() {
    assertThat(
            BearerTokens.of(
                MockServerHttpRequest.get("/actuator/health")
                    .header("Authorization", "Bearer abc")
                    .build()))
        .isEqualTo("abc");
  }
}
