package herald.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.HeraldApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/**
 * A schema, proxy URL or proxy limit Herald cannot use stops start-up with a message that names the
 * setting (README "Backend integration"): a typo must not let publications through unchecked.
 */
@ExtendWith(OutputCaptureExtension.class)
class BackendSettingsTests {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "herald.namespaces.chat.schema=classpath:schemas/missing.json"
            + " | herald.namespaces.chat.schema",
        "herald.namespaces.chat.schema=/nonexistent/schema.json | herald.namespaces.chat.schema",
        "herald.namespaces.chat.schema=classpath:schemas/not-json.json"
            + " | herald.namespaces.chat.schema",
        "herald.namespaces.chat.schema=classpath:schemas/not-a-schema.json"
            + " | herald.namespaces.chat.schema",
        "herald.channel-defaults.schema=classpath:schemas/remote-ref.json"
            + " | herald.channel-defaults.schema",
        "herald.namespaces.chat.publish-proxy=not a url | herald.namespaces.chat.publish-proxy",
        "herald.namespaces.chat.publish-proxy=ftp://backend/publish"
            + " | herald.namespaces.chat.publish-proxy",
        "herald.proxy.rpc=localhost:8080/rpc | herald.proxy.rpc",
        "herald.proxy.rpc=http:///rpc | herald.proxy.rpc",
        "herald.proxy.timeout=0s | herald.proxy.timeout",
        "herald.proxy.max-in-flight-per-connection=0 | herald.proxy",
        "herald.proxy.max-answer-size=0B | herald.proxy.max-answer-size",
        "herald.proxy.headers[bad name]=x | herald.proxy.headers.bad name"
      })
  void aBadSettingStopsStartUpNamingIt(String setting, String named) {
    assertThatThrownBy(() -> start(setting)).hasStackTraceContaining(named);
  }

  @Test
  void anUnreadableSchemaIsOneParagraphNamingTheSettingAndTheFile(CapturedOutput output) {
    assertThatThrownBy(() -> start("herald.namespaces.chat.schema=classpath:schemas/missing.json"))
        .isInstanceOf(RuntimeException.class);

    String all = output.toString();
    String report = all.substring(all.lastIndexOf("APPLICATION FAILED TO START"));
    assertThat(report)
        .contains(
            "herald.namespaces.chat.schema names class path resource [schemas/missing.json],"
                + " which cannot be read.");
  }

  @Test
  void aProxyUrlIsNamedButNotRepeated(CapturedOutput output) {
    assertThatThrownBy(
            () -> start("herald.namespaces.chat.publish-proxy=ftp://user:hunter2@backend/publish"))
        .isInstanceOf(RuntimeException.class);

    String all = output.toString();
    String report = all.substring(all.lastIndexOf("APPLICATION FAILED TO START"));
    assertThat(report)
        .contains("herald.namespaces.chat.publish-proxy is not an absolute http(s) URL.");
    assertThat(all).doesNotContain("hunter2");
  }

  private static void start(String setting) {
    new SpringApplicationBuilder(HeraldApplication.class)
        .web(WebApplicationType.REACTIVE)
        // What ./mvnw spring-boot:run asks for, so only the setting under test is wrong.
        .properties("server.port=0", "herald.auth.insecure-when-unconfigured=true")
        .run("--" + setting);
  }
}
