package herald.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.HeraldApplication;
import herald.support.TestTokens;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Secure by default (README, "Security"): a node that cannot verify tokens refuses to start, with a
 * message that names the settings, unless development mode was asked for.
 */
class SecureByDefaultTests {

  private static ConfigurableApplicationContext start(String... settings) {
    List<String> args = new ArrayList<>(List.of("--server.port=0"));
    for (String setting : settings) {
      args.add("--" + setting);
    }
    return new SpringApplicationBuilder(HeraldApplication.class)
        .web(WebApplicationType.REACTIVE)
        .run(args.toArray(String[]::new));
  }

  @Test
  void aNodeWithoutSecretOrJwksRefusesToStartNamingTheSettings() {
    assertThatThrownBy(SecureByDefaultTests::start)
        .hasStackTraceContaining("herald.auth.hmac-secret")
        .hasStackTraceContaining("HERALD_AUTH_HMAC_SECRET")
        .hasStackTraceContaining("herald.auth.jwks-uri")
        .hasStackTraceContaining("HERALD_AUTH_INSECURE=true");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "'herald.auth.hmac-secret=   ' | herald.auth.hmac-secret",
        "herald.auth.hmac-secret=0123456789012345678901234567890 | herald.auth.hmac-secret",
        "herald.auth.jwks-uri=http://127.0.0.1:1/jwks.json | herald.auth.issuer",
        "spring.security.oauth2.resourceserver.jwt.jwk-set-uri=http://127.0.0.1:1/jwks.json"
            + " | herald.auth.jwks-uri",
        "spring.security.oauth2.resourceserver.jwt.issuer-uri=http://127.0.0.1:1"
            + " | herald.auth.jwks-uri",
      })
  void aMistakeInTheAuthSettingsStopsStartUpNamingTheSetting(String setting, String named) {
    assertThatThrownBy(() -> start(setting, "herald.auth.insecure-when-unconfigured=true"))
        .hasStackTraceContaining(named);
  }

  @Test
  void aJwksUriNeedsAnAudience() {
    assertThatThrownBy(
            () ->
                start(
                    "herald.auth.jwks-uri=http://127.0.0.1:1/jwks.json",
                    "herald.auth.issuer=https://id.example"))
        .hasStackTraceContaining("herald.auth.audience");
  }

  @Test
  void springsResourceServerSettingDoesNotOpenAnotherwiseSecureNode() {
    assertThatThrownBy(
            () ->
                start(
                    "herald.auth.hmac-secret=" + TestTokens.SECRET,
                    "spring.security.oauth2.resourceserver.jwt.jwk-set-uri=http://127.0.0.1:1/k"))
        .hasStackTraceContaining("herald.auth.jwks-uri");
  }

  @Test
  void developmentModeAndASecretTogetherAreAMistake() {
    assertThatThrownBy(
            () ->
                start("herald.auth.insecure=true", "herald.auth.hmac-secret=" + TestTokens.SECRET))
        .hasStackTraceContaining("herald.auth.insecure");
  }

  @Test
  void theRunGoalsDevelopmentModeIsNotEnoughOnTheRedisEngine() {
    assertThatThrownBy(
            () ->
                start(
                    "herald.auth.insecure-when-unconfigured=true",
                    "herald.redis.url=redis://127.0.0.1:1"))
        .hasStackTraceContaining("HERALD_AUTH_INSECURE=true")
        .hasStackTraceContaining("herald.redis.url");
  }

  @Test
  void theRunGoalsDevelopmentModeGivesWayToASecret() {
    try (ConfigurableApplicationContext node =
        start(
            "herald.auth.insecure-when-unconfigured=true",
            "herald.auth.hmac-secret=" + TestTokens.SECRET)) {
      assertThat(node.getBean(AuthMode.class)).isEqualTo(AuthMode.HMAC);
    }
  }

  @Test
  void theRunGoalAsksForDevelopmentModeOnTheInMemoryEngine() {
    try (ConfigurableApplicationContext node =
        start("herald.auth.insecure-when-unconfigured=true")) {
      assertThat(node.getBean(AuthMode.class)).isEqualTo(AuthMode.DEVELOPMENT);
    }
  }
}
