package herald.lifecycle;

import herald.protocol.ErrorCode;
import herald.web.ErrorResponses;
import java.time.Duration;
import java.util.Set;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * While the node drains, refuses new SSE and WebSocket connections with 503 and {@code
 * Retry-After}, and closes the HTTP connection after the answer, so that the client's next attempt
 * opens a new one, which the load balancer sends to another node. The backend API and the actuator
 * keep answering until the web server stops.
 */
final class DrainingFilter implements WebFilter, Ordered {

  /** Ahead of the per-IP connection limit: a refused handshake should not spend a permit. */
  static final int ORDER = -300;

  /** Long enough for the load balancer to see readiness DOWN, short enough not to idle a client. */
  static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  static final String MESSAGE = "this node is shutting down; reconnect";

  private static final Set<String> CONNECTION_PATHS = Set.of("/sse", "/ws");

  private final DrainCoordinator drain;
  private final ErrorResponses errors;

  DrainingFilter(DrainCoordinator drain, ErrorResponses errors) {
    this.drain = drain;
    this.errors = errors;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    if (!drain.draining()
        || !CONNECTION_PATHS.contains(
            exchange.getRequest().getPath().pathWithinApplication().value())) {
      return chain.filter(exchange);
    }
    exchange.getResponse().getHeaders().set(HttpHeaders.CONNECTION, "close");
    return errors.write(exchange.getResponse(), ErrorCode.DRAINING, MESSAGE, RETRY_AFTER);
  }

  @Override
  public int getOrder() {
    return ORDER;
  }
}
