package herald.lifecycle;

import herald.protocol.ErrorCode;
import herald.web.ConnectionEndpoints;
import herald.web.ErrorResponses;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * While the node drains, refuses new SSE streams (the WebSocket endpoint does the same itself) with
 * 503 and {@code Retry-After}, and closes the HTTP connection after the answer, so that the
 * client's next attempt opens a new one, which the load balancer sends to another node. The backend
 * API and the actuator keep answering until the web server stops.
 */
final class DrainingFilter implements WebFilter, Ordered {

  /** Ahead of the per-IP connection limit: a refused handshake should not spend a permit. */
  static final int ORDER = -300;

  private final DrainCoordinator drain;
  private final ErrorResponses errors;

  DrainingFilter(DrainCoordinator drain, ErrorResponses errors) {
    this.drain = drain;
    this.errors = errors;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    if (!drain.draining() || !ConnectionEndpoints.matches(exchange.getRequest())) {
      return chain.filter(exchange);
    }
    exchange.getResponse().getHeaders().set(HttpHeaders.CONNECTION, "close");
    return errors.write(
        exchange.getResponse(),
        ErrorCode.DRAINING,
        DrainCoordinator.REFUSAL,
        DrainCoordinator.RETRY_AFTER);
  }

  @Override
  public int getOrder() {
    return ORDER;
  }
}
