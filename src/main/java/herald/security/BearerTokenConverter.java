package herald.security;

import org.springframework.http.HttpHeaders;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.web.server.authentication.ServerAuthenticationConverter;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Finds the client's token in {@code Authorization: Bearer} or, because browsers cannot set headers
 * on EventSource and WebSocket, in the {@code token} query parameter. No token: no authentication
 * attempt (the handler decides whether anonymous access or a {@code connect} frame will do).
 */
final class BearerTokenConverter implements ServerAuthenticationConverter {

  static final String QUERY_PARAMETER = "token";
  private static final String BEARER = "bearer ";

  @Override
  public Mono<Authentication> convert(ServerWebExchange exchange) {
    String header = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
    if (header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return token(header.substring(BEARER.length()).trim());
    }
    String query = exchange.getRequest().getQueryParams().getFirst(QUERY_PARAMETER);
    return query == null ? Mono.empty() : token(query.trim());
  }

  private static Mono<Authentication> token(String value) {
    // An empty token is a bad token, not a missing one: let the decoder refuse it.
    return Mono.just(new BearerTokenAuthenticationToken(value.isEmpty() ? "-" : value));
  }
}
