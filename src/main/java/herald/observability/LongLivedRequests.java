package herald.observability;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationPredicate;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;

/**
 * Leaves SSE streams and WebSocket connections out of the {@code http.server.requests} observation.
 * An observation lives as long as its request, and these requests live as long as the connection:
 * each held about 4 KB of observation state (contexts, key values, a long-task timer sample) for
 * hours, and its "duration" says nothing about the server. Connections are counted by {@code
 * herald_connections} and {@code herald_handshakes_total} instead ({@link HeraldMetrics}).
 */
final class LongLivedRequests implements ObservationPredicate {

  @Override
  public boolean test(String name, Observation.Context context) {
    if (!(context instanceof ServerRequestObservationContext request)) {
      return true;
    }
    String path = request.getCarrier().getPath().pathWithinApplication().value();
    return !path.equals("/ws") && !path.equals("/sse");
  }
}
