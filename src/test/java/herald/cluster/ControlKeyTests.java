package herald.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.security.AuthMode;
import herald.security.AuthProperties;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ControlKeyTests {

  private static final String SECRET = "0123456789abcdef0123456789abcdef-hs256";

  private static ClusterProperties cluster(String secret) {
    return new ClusterProperties(
        Duration.ofSeconds(1), Duration.ofSeconds(3), Duration.ofSeconds(2), secret);
  }

  private static AuthProperties jwks() {
    return new AuthProperties(
        null,
        URI.create("https://idp.example/jwks"),
        "https://idp.example",
        "herald",
        true,
        false,
        false);
  }

  @Test
  void withJwksOnASharedBackplaneTheClusterSecretIsRequired() {
    assertThatThrownBy(() -> ControlKey.resolve(cluster(null), jwks(), AuthMode.JWKS, true))
        .hasMessageContaining("herald.cluster.secret");
    assertThat(ControlKey.resolve(cluster(SECRET), jwks(), AuthMode.JWKS, true).getEncoded())
        .isEqualTo(SECRET.getBytes());
  }

  @Test
  void theDerivedKeyIsNotTheClientSecret() {
    AuthProperties hmac = new AuthProperties(SECRET, null, null, null, true, false, false);
    byte[] derived = ControlKey.resolve(cluster(null), hmac, AuthMode.HMAC, true).getEncoded();
    assertThat(derived).hasSize(32).isNotEqualTo(SECRET.getBytes());
    assertThat(ControlKey.resolve(cluster(null), hmac, AuthMode.HMAC, true).getEncoded())
        .isEqualTo(derived);
  }

  @Test
  void aShortClusterSecretStopsStartUp() {
    assertThatThrownBy(() -> cluster("too short"))
        .hasMessageContaining("herald.cluster.secret")
        .hasMessageContaining("32 bytes");
  }
}
