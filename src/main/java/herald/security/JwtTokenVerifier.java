package herald.security;

import herald.protocol.HeraldException;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import reactor.core.publisher.Mono;

/**
 * Verifies tokens with Spring Security's reactive JWT decoder (HS256 secret or JWKS keys), the same
 * decoder that authenticates HTTP handshakes.
 */
final class JwtTokenVerifier implements TokenVerifier {

  private final ReactiveJwtDecoder decoder;
  private final boolean secure;

  JwtTokenVerifier(ReactiveJwtDecoder decoder, boolean secure) {
    this.decoder = decoder;
    this.secure = secure;
  }

  @Override
  public Mono<Credentials> verify(String token) {
    return decoder
        .decode(token)
        .map(JwtCredentials::from)
        // The decoder's messages can quote claims; clients get a fixed text and no token echo.
        .onErrorMap(
            error -> !(error instanceof HeraldException),
            error -> HeraldException.unauthorized("invalid token"));
  }

  @Override
  public boolean secure() {
    return secure;
  }
}
