package herald.security;

import java.util.List;

/**
 * How this node checks client tokens, decided once at start-up from {@link AuthProperties}. Secure
 * by default: with no way to verify tokens the node refuses to start unless development mode was
 * asked for (README, "Security").
 */
public enum AuthMode {
  /** HS256 tokens signed with {@code herald.auth.hmac-secret}. */
  HMAC,
  /** RS256/ES256 tokens signed with keys from {@code herald.auth.jwks-uri}. */
  JWKS,
  /** Insecure development mode: signatures are not checked, tokenless clients may do anything. */
  DEVELOPMENT;

  /** Whether this is insecure development mode. */
  public boolean insecure() {
    return this == DEVELOPMENT;
  }

  /**
   * The mode {@code auth} asks for.
   *
   * @param redisEngine whether the node runs the Redis engine (many nodes, so not a laptop)
   * @param springJwtSettings Spring Boot's own resource-server settings that are set ({@code
   *     spring.security.oauth2.resourceserver.jwt.*}); Herald does not read them
   * @throws AuthConfigurationException naming the settings, when the node must not start
   */
  static AuthMode resolve(
      AuthProperties auth, boolean redisEngine, List<String> springJwtSettings) {
    if (!springJwtSettings.isEmpty()) {
      // Refused rather than honoured: Boot's settings come with their own semantics (issuer
      // discovery at start-up, audiences, algorithms) that Herald's decoder would only half apply,
      // and ignoring them silently is how a node ended up with no signature checks at all.
      throw new AuthConfigurationException(
          String.join(", ", springJwtSettings)
              + " is Spring Boot's resource-server setting, which Herald does not read",
          "Set herald.auth.jwks-uri (HERALD_AUTH_JWKS_URI) with herald.auth.issuer"
              + " (HERALD_AUTH_ISSUER) and herald.auth.audience (HERALD_AUTH_AUDIENCE) instead,"
              + " and remove "
              + String.join(", ", springJwtSettings)
              + ".");
    }
    if (auth.hasHmacSecret()) {
      return HMAC;
    }
    if (auth.hasJwksUri()) {
      return JWKS;
    }
    if (auth.insecure()) {
      return DEVELOPMENT;
    }
    if (auth.insecureWhenUnconfigured() && !redisEngine) {
      return DEVELOPMENT;
    }
    if (auth.insecureWhenUnconfigured()) {
      throw new AuthConfigurationException(
          "Development mode (no token signature checks) was asked for by ./mvnw spring-boot:run,"
              + " but this node runs the Redis engine (herald.redis.url), where it must be asked"
              + " for explicitly",
          "Set herald.auth.hmac-secret (HERALD_AUTH_HMAC_SECRET) or herald.auth.jwks-uri"
              + " (HERALD_AUTH_JWKS_URI), or, for a local cluster only, HERALD_AUTH_INSECURE=true"
              + " (herald.auth.insecure).");
    }
    throw new AuthConfigurationException(
        "No way to verify client tokens is configured: neither herald.auth.hmac-secret"
            + " (HERALD_AUTH_HMAC_SECRET) nor herald.auth.jwks-uri (HERALD_AUTH_JWKS_URI) is set",
        "Set herald.auth.hmac-secret (HERALD_AUTH_HMAC_SECRET, at least 32 bytes), or"
            + " herald.auth.jwks-uri (HERALD_AUTH_JWKS_URI) with herald.auth.issuer and"
            + " herald.auth.audience. For local development only, HERALD_AUTH_INSECURE=true"
            + " (herald.auth.insecure) runs without signature checks.");
  }
}
