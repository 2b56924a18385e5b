package herald.security;

import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTParser;
import java.text.ParseException;
import java.util.Map;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtValidationException;
import org.springframework.security.oauth2.jwt.MappedJwtClaimSetConverter;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import reactor.core.publisher.Mono;

/**
 * Insecure development mode only: reads a token's claims <em>without checking its signature</em>,
 * so a local demo can name its users. Expiry is still enforced. Never used when a secret or JWKS
 * URI is configured.
 */
final class InsecureJwtDecoder implements ReactiveJwtDecoder {

  private final MappedJwtClaimSetConverter claims =
      MappedJwtClaimSetConverter.withDefaults(Map.of());
  private final OAuth2TokenValidator<Jwt> validator;

  InsecureJwtDecoder(OAuth2TokenValidator<Jwt> validator) {
    this.validator = validator;
  }

  @Override
  public Mono<Jwt> decode(String token) {
    return Mono.fromCallable(() -> parse(token));
  }

  private Jwt parse(String token) {
    JWT jwt;
    Map<String, Object> claimSet;
    try {
      jwt = JWTParser.parse(token);
      claimSet = jwt.getJWTClaimsSet().getClaims();
    } catch (ParseException e) {
      throw new BadJwtException("malformed token");
    }
    Jwt decoded =
        Jwt.withTokenValue(token)
            .headers(headers -> headers.putAll(jwt.getHeader().toJSONObject()))
            .claims(values -> values.putAll(claims.convert(claimSet)))
            .build();
    var result = validator.validate(decoded);
    if (result.hasErrors()) {
      throw new JwtValidationException("invalid token", result.getErrors());
    }
    return decoded;
  }
}
