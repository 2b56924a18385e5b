package herald.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.HeraldApplication;
import herald.support.TestTokens;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.context.reactive.StandardReactiveWebEnvironment;
import org.springframework.core.env.ConfigurablePropertyResolver;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * A bad setting given as an environment variable stops start-up with one paragraph that names the
 * setting and the variable, never a stack trace, a secret, or a validation method's {@code false}.
 * The node runs in-process with the variables set in its system environment property source, where
 * Spring Boot finds real ones.
 */
@ExtendWith(OutputCaptureExtension.class)
class SettingsFailureAnalyzerTests {

  @Test
  void aBadRedisUrlIsOneParagraphNamingTheVariableWithoutTheUrl(CapturedOutput output) {
    startFailing(
        Map.of(
            "HERALD_REDIS_URL",
            "http://herald:hunter2@redis.internal:6379",
            "HERALD_AUTH_HMAC_SECRET",
            TestTokens.SECRET));

    assertThat(report(output))
        .contains(
            "herald.redis.url (environment variable HERALD_REDIS_URL) is not a valid Redis URL.")
        .contains("Use redis://");
    assertThat(output.toString()).doesNotContain("hunter2").doesNotContain("Caused by:");
  }

  @Test
  void aShortSecretNamesTheVariableAndShowsNeitherTheSecretNorFalse(CapturedOutput output) {
    startFailing(Map.of("HERALD_AUTH_HMAC_SECRET", "too-short-a-secret"));

    assertThat(report(output))
        .contains(
            "herald.auth.hmac-secret (environment variable HERALD_AUTH_HMAC_SECRET) must not be"
                + " blank and must be at least 32 bytes (HS256) (its value is not shown: it may be"
                + " secret).")
        .doesNotContain("\"false\"")
        .doesNotContain("hmacSecret");
    assertThat(output.toString()).doesNotContain("too-short-a-secret");
  }

  @Test
  void aPortThatIsNotANumberNamesPort(CapturedOutput output) {
    startFailing(Map.of("PORT", "notaport", "HERALD_AUTH_HMAC_SECRET", TestTokens.SECRET));

    assertThat(report(output))
        .contains(
            "server.port (environment variable PORT) is \"notaport\", but it must be a port number");
  }

  @Test
  void aDrainWindowFromRelaxedBindingNamesItsVariable(CapturedOutput output) {
    startFailing(
        Map.of("HERALD_DRAIN_WINDOW", "-5s", "HERALD_AUTH_HMAC_SECRET", TestTokens.SECRET));

    assertThat(report(output))
        .contains(
            "herald.drain.window (environment variable HERALD_DRAIN_WINDOW) is \"-5s\", but it"
                + " must not be negative.");
  }

  private static void startFailing(Map<String, String> variables) {
    SpringApplicationBuilder app =
        new SpringApplicationBuilder(HeraldApplication.class)
            .web(WebApplicationType.REACTIVE)
            .environment(withVariables(variables))
            .properties("server.port=0");
    assertThatThrownBy(app::run).isInstanceOf(RuntimeException.class);
  }

  /** What Spring Boot's failure reporter printed last: from its banner to the end. */
  private static String report(CapturedOutput output) {
    String all = output.toString();
    int start = all.lastIndexOf("APPLICATION FAILED TO START");
    assertThat(start).as("a failure analysis in:%n%s", all).isNotNegative();
    return all.substring(start);
  }

  private static StandardReactiveWebEnvironment withVariables(Map<String, String> variables) {
    return new StandardReactiveWebEnvironment() {
      // As Spring Boot's own environments resolve properties (a bad value names its setting).
      @Override
      protected ConfigurablePropertyResolver createPropertyResolver(
          MutablePropertySources sources) {
        return ConfigurationPropertySources.createPropertyResolver(sources);
      }

      @Override
      protected void customizePropertySources(MutablePropertySources sources) {
        super.customizePropertySources(sources);
        Map<String, Object> environment = new HashMap<>(getSystemEnvironment());
        environment.putAll(variables);
        sources.replace(
            StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
            new SystemEnvironmentPropertySource(
                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, environment));
      }
    };
  }
}
