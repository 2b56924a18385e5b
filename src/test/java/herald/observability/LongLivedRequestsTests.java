package herald.observability;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.observation.Observation;
import org.junit.jupiter.api.Test;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.http.server.reactive.MockServerHttpResponse;

class LongLivedRequestsTests {

  private final LongLivedRequests predicate = new LongLivedRequests();

  private boolean observed(String path) {
    var context =
        new ServerRequestObservationContext(
            MockServerHttpRequest.get(path).build(),
            new MockServerHttpResponse(),
            java.util.Map.of());
    return predicate.test("http.server.requests", context);
  }

  @Test
  void streamsAndWebSocketsAreNotObserved() {
    assertThat(observed("/sse")).isFalse();
    assertThat(observed("/ws")).isFalse();
  }

  @Test
  void theApiAndEverythingElseIs() {
    assertThat(observed("/api/v1/publish")).isTrue();
    assertThat(observed("/actuator/health")).isTrue();
    assertThat(observed("/ssex")).isTrue();
    assertThat(predicate.test("custom", new Observation.Context())).isTrue();
  }
}
