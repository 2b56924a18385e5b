package herald.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.support.TestTokens;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which way a node checks tokens, and when it must not start at all. */
class AuthModeTests {

  private static AuthProperties auth(
      String secret, URI jwks, boolean insecure, boolean insecureWhenUnconfigured) {
    return new AuthProperties(
        secret, jwks, "https://id.example", "herald", true, insecure, insecureWhenUnconfigured);
  }

  @Test
  void aSecretMeansHs256AndAJwksUriMeansJwks() {
    assertThat(AuthMode.resolve(auth(TestTokens.SECRET, null, false, false), false, List.of()))
        .isEqualTo(AuthMode.HMAC);
    assertThat(
            AuthMode.resolve(
                auth("", URI.create("https://id.example/jwks"), false, true), true, List.of()))
        .isEqualTo(AuthMode.JWKS);
  }

  @Test
  void theExplicitFlagAsksForDevelopmentModeEvenOnTheRedisEngine() {
    AuthMode mode = AuthMode.resolve(auth("", null, true, false), true, List.of());

    assertThat(mode).isEqualTo(AuthMode.DEVELOPMENT);
    assertThat(mode.insecure()).isTrue();
  }

  @Test
  void theRunGoalsAskIsEnoughOnTheInMemoryEngineOnly() {
    assertThat(AuthMode.resolve(auth(null, null, false, true), false, List.of()))
        .isEqualTo(AuthMode.DEVELOPMENT);
    assertThatThrownBy(() -> AuthMode.resolve(auth(null, null, false, true), true, List.of()))
        .isInstanceOf(AuthConfigurationException.class)
        .hasMessageContaining("herald.redis.url")
        .hasMessageContaining("HERALD_AUTH_INSECURE=true");
  }

  @Test
  void nothingConfiguredIsRefused() {
    assertThatThrownBy(() -> AuthMode.resolve(auth(null, null, false, false), false, List.of()))
        .isInstanceOf(AuthConfigurationException.class)
        .hasMessageContaining("herald.auth.hmac-secret")
        .hasMessageContaining("herald.auth.jwks-uri");
  }

  @Test
  void springsResourceServerSettingsAreRefusedEvenBesideASecret() {
    String setting = "spring.security.oauth2.resourceserver.jwt.jwk-set-uri";
    assertThatThrownBy(
            () ->
                AuthMode.resolve(
                    auth(TestTokens.SECRET, null, false, false), false, List.of(setting)))
        .isInstanceOf(AuthConfigurationException.class)
        .hasMessageContaining(setting)
        .hasMessageContaining("herald.auth.jwks-uri");
  }

  @Test
  void aBlankSecretIsInvalidAndAnEmptyOneIsUnset() {
    assertThat(auth("   ", null, false, false).isHmacSecret()).isFalse();
    assertThat(auth("", null, false, false).hasHmacSecret()).isFalse();
    assertThat(auth("", null, false, false).isHmacSecret()).isTrue();
    assertThat(auth("short", null, false, false).isHmacSecret()).isFalse();
  }
}
