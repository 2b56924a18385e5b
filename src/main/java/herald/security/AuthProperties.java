package herald.security;

import jakarta.validation.constraints.AssertTrue;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * How clients authenticate ({@code herald.auth.*}). Secure by default: a node verifies tokens with
 * an HS256 secret or keys from a JWKS URI, and runs in insecure development mode only when asked
 * (README, "Security").
 *
 * @param hmacSecret the HS256 secret, at least 32 bytes ({@code HERALD_AUTH_HMAC_SECRET}); empty
 *     means unset, spaces only are a mistake
 * @param jwksUri where RS256/ES256 keys are published ({@code HERALD_AUTH_JWKS_URI})
 * @param issuer the {@code iss} every token must carry, when set; required with a JWKS URI
 * @param audience a value the {@code aud} of every token must contain, when set; required with a
 *     JWKS URI
 * @param requireExp whether tokens without {@code exp} are refused
 * @param insecure development mode, asked for explicitly ({@code HERALD_AUTH_INSECURE}): no
 *     signature checks, tokenless clients may do anything; allowed on the Redis engine
 * @param insecureWhenUnconfigured development mode when neither a secret nor a JWKS URI is set:
 *     what {@code ./mvnw spring-boot:run} asks for, so the README's first command needs no setup; a
 *     configured secret or JWKS URI wins, and it is not enough on the Redis engine
 */
@Validated
@ConfigurationProperties("herald.auth")
public record AuthProperties(
    @Nullable String hmacSecret,
    @Nullable URI jwksUri,
    @Nullable String issuer,
    @Nullable String audience,
    @DefaultValue("true") boolean requireExp,
    @DefaultValue("false") boolean insecure,
    @DefaultValue("false") boolean insecureWhenUnconfigured) {

  static final int MIN_SECRET_BYTES = 32;

  /** Whether an HS256 secret is configured (an empty value is none; a blank one is refused). */
  public boolean hasHmacSecret() {
    return hmacSecret != null && !hmacSecret.isEmpty();
  }

  /** Whether a JWKS URI is configured. */
  public boolean hasJwksUri() {
    return jwksUri != null && !jwksUri.toString().isBlank();
  }

  /** Whether tokens are verified with a secret or JWKS keys. */
  public boolean verifiesTokens() {
    return hasHmacSecret() || hasJwksUri();
  }

  boolean hasIssuer() {
    return issuer != null && !issuer.isBlank();
  }

  boolean hasAudience() {
    return audience != null && !audience.isBlank();
  }

  @AssertTrue(message = "must not be blank and must be at least 32 bytes (HS256)")
  public boolean isHmacSecret() {
    return !hasHmacSecret()
        || !hmacSecret.isBlank()
            && hmacSecret.getBytes(StandardCharsets.UTF_8).length >= MIN_SECRET_BYTES;
  }

  @AssertTrue(message = "set either herald.auth.hmac-secret or herald.auth.jwks-uri, not both")
  public boolean isJwksUri() {
    return !(hasHmacSecret() && hasJwksUri());
  }

  @AssertTrue(
      message =
          "is required with herald.auth.jwks-uri (HERALD_AUTH_ISSUER): an identity provider signs"
              + " tokens for other applications too")
  public boolean isIssuer() {
    return !hasJwksUri() || hasIssuer();
  }

  @AssertTrue(
      message =
          "is required with herald.auth.jwks-uri (HERALD_AUTH_AUDIENCE): an identity provider"
              + " signs tokens for other applications too")
  public boolean isAudience() {
    return !hasJwksUri() || hasAudience();
  }

  @AssertTrue(
      message =
          "asks for development mode (no signature checks) while herald.auth.hmac-secret or"
              + " herald.auth.jwks-uri is set: remove one of them")
  public boolean isInsecure() {
    return !(insecure && verifiesTokens());
  }
}
