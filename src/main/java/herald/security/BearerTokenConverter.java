package herald.security;

import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.web.server.authentication.ServerAuthenticationConverter;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Finds the client's token where {@link BearerTokens} looks. No token: no authentication attempt
 * (the handler decides whether anonymous access or a {@code connect} frame will do).
 */
final class BearerTokenConverter implements ServerAuthenticationConverter {

  @Override
  public Mono<Authentication> convert(ServerWebExchange exchange) {
    String token = BearerTokens.of(exchange.getRequest());
    return token == null ? Mono.empty() : Mono.just(new BearerTokenAuthenticationToken(token));
  }
}
