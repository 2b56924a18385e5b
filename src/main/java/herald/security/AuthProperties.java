package herald.security;

import jakarta.validation.constraints.AssertTrue;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * How clients authenticate ({@code herald.auth.*}). With neither a secret nor a JWKS URI the node
 * runs in insecure development mode.
 *
 * @param hmacSecret the HS256 secret, at least 32 bytes ({@code HERALD_AUTH_HMAC_SECRET})
 * @param jwksUri where RS256/ES256 keys are published ({@code HERALD_AUTH_JWKS_URI})
 * @param requireExp whether tokens without {@code exp} are refused
 */
@Validated
@ConfigurationProperties("herald.auth")
public record AuthProperties(
    @Nullable String hmacSecret, @Nullable URI jwksUri, @DefaultValue("true") boolean requireExp) {

  static final int MIN_SECRET_BYTES = 32;

  /** Whether an HS256 secret is configured. */
  public boolean hasHmacSecret() {
    return hmacSecret != null && !hmacSecret.isBlank();
  }

  /** Whether a JWKS URI is configured. */
  public boolean hasJwksUri() {
    return jwksUri != null && !jwksUri.toString().isBlank();
  }

  /** Whether tokens are verified; without secret or JWKS the node runs insecurely. */
  public boolean secure() {
    return hasHmacSecret() || hasJwksUri();
  }

  @AssertTrue(message = "must be at least 32 bytes (HS256)")
  public boolean isHmacSecret() {
    return !hasHmacSecret()
        || hmacSecret.getBytes(StandardCharsets.UTF_8).length >= MIN_SECRET_BYTES;
  }

  @AssertTrue(message = "set either herald.auth.hmac-secret or herald.auth.jwks-uri, not both")
  public boolean isJwksUri() {
    return !(hasHmacSecret() && hasJwksUri());
  }
}
