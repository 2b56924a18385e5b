package herald.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import herald.web.ConnectionEndpoints;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Which request targets the route ahead of WebFlux takes for {@code /ws}. */
class WebSocketRouteTests {

  @ParameterizedTest
  @CsvSource({
    "/ws, /ws",
    "/ws?token=a.b.c, /ws",
    "/w%73;x=1?token=t, /w%73;x=1",
    "http://example.com/ws?token=t, /ws",
    "http://example.com, /"
  })
  void theRawPathIsTheTargetWithoutQuerySchemeAndHost(String target, String path) {
    assertThat(WebSocketConfiguration.rawPath(target)).isEqualTo(path);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/ws", "/ws;x", "/w%73", "/%77s;jsessionid=1"})
  void everySpellingOfWsIsTaken(String target) {
    assertThat(ConnectionEndpoints.isWebSocket(WebSocketConfiguration.rawPath(target))).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"/wsx", "/ws/x", "/sse", "/", "/api/v1/info"})
  void otherPathsAreLeftToWebFlux(String target) {
    assertThat(ConnectionEndpoints.isWebSocket(WebSocketConfiguration.rawPath(target))).isFalse();
  }
}
