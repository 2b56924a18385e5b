package herald.security;

import herald.protocol.ErrorCode;
import herald.web.ErrorResponses;
import org.springframework.http.HttpHeaders;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/** Answers 403 to WebSocket handshakes from an origin the {@link OriginPolicy} refuses. */
final class OriginFilter implements WebFilter {

  private final OriginPolicy policy;
  private final ErrorResponses errors;

  OriginFilter(OriginPolicy policy, ErrorResponses errors) {
    this.policy = policy;
    this.errors = errors;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    String origin = exchange.getRequest().getHeaders().getFirst(HttpHeaders.ORIGIN);
    if (policy.allows(origin, exchange.getRequest().getURI())) {
      return chain.filter(exchange);
    }
    return errors.write(exchange.getResponse(), ErrorCode.FORBIDDEN, "origin not allowed");
  }
}
