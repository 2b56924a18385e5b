package herald.ratelimit;

import herald.web.ClientAddress;
import herald.web.ErrorResponses;
import java.util.Set;
import org.springframework.core.Ordered;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Limits new SSE and WebSocket connections per client IP, before anything else is done for them:
 * over the limit, the handshake is answered 429 with {@code Retry-After}.
 */
final class ConnectionRateLimitFilter implements WebFilter, Ordered {

  /** Ahead of Spring Security, so refused handshakes cost no token verification. */
  static final int ORDER = -200;

  private static final Set<String> CONNECTION_PATHS = Set.of("/sse", "/ws");

  private final RateLimits limits;
  private final ClientAddress addresses;
  private final ErrorResponses errors;

  ConnectionRateLimitFilter(RateLimits limits, ClientAddress addresses, ErrorResponses errors) {
    this.limits = limits;
    this.addresses = addresses;
    this.errors = errors;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    String path = exchange.getRequest().getPath().pathWithinApplication().value();
    if (!CONNECTION_PATHS.contains(path)) {
      return chain.filter(exchange);
    }
    try {
      limits.acquireConnection(addresses.of(exchange.getRequest()));
    } catch (RateLimitedException e) {
      return errors.write(exchange.getResponse(), e.code(), e.getMessage(), e.retryAfter());
    }
    return chain.filter(exchange);
  }

  @Override
  public int getOrder() {
    return ORDER;
  }
}
