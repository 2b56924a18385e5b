package herald.warmup;

import static org.assertj.core.api.Assertions.assertThat;

import herald.security.AuthMode;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

class WarmUpStarterTests {

  private static final WarmUpProperties ON = new WarmUpProperties(1000, 50, Duration.ofSeconds(30));

  @Test
  void warmsUpWithTheSecretAndInDevelopmentMode() {
    assertThat(WarmUpStarter.reasonToSkip(ON, AuthMode.HMAC, new MockEnvironment())).isNull();
    assertThat(WarmUpStarter.reasonToSkip(ON, AuthMode.DEVELOPMENT, new MockEnvironment()))
        .isNull();
  }

  @Test
  void noConnectionsMeansNoWarmUp() {
    WarmUpProperties off = new WarmUpProperties(0, 50, Duration.ofSeconds(30));
    assertThat(WarmUpStarter.reasonToSkip(off, AuthMode.HMAC, new MockEnvironment()))
        .contains("herald.warm-up.connections");
  }

  @Test
  void aNodeThatChecksTokensWithAJwksUriCannotSignOneForItself() {
    assertThat(WarmUpStarter.reasonToSkip(ON, AuthMode.JWKS, new MockEnvironment()))
        .contains("herald.auth.jwks-uri");
  }

  @Test
  void aServerThatSpeaksTlsIsNotWarmedUpOverPlainWebSocket() {
    MockEnvironment tls = new MockEnvironment().withProperty("server.ssl.bundle", "web");
    assertThat(WarmUpStarter.reasonToSkip(ON, AuthMode.HMAC, tls)).contains("TLS");

    MockEnvironment off =
        new MockEnvironment()
            .withProperty("server.ssl.bundle", "web")
            .withProperty("server.ssl.enabled", "false");
    assertThat(WarmUpStarter.reasonToSkip(ON, AuthMode.HMAC, off)).isNull();
  }
}
