package herald.security;

import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/** Applies {@code delegate} only to requests for exactly {@code path}. */
final class PathFilter implements WebFilter {

  private final String path;
  private final WebFilter delegate;

  PathFilter(String path, WebFilter delegate) {
    this.path = path;
    this.delegate = delegate;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    if (path.equals(exchange.getRequest().getPath().pathWithinApplication().value())) {
      return delegate.filter(exchange, chain);
    }
    return chain.filter(exchange);
  }
}
