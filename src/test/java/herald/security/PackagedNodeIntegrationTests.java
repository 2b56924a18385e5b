package herald.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The packaged node ({@code java -jar target/herald.jar}, built by the package phase that runs
 * before the integration tests) is secure by default: what {@code ./mvnw spring-boot:run} asks for
 * never reaches it, so without a secret or JWKS URI it refuses to start and names the settings.
 */
class PackagedNodeIntegrationTests {

  private static final Path JAR = Path.of("target", "herald.jar");

  @Test
  void aPackagedNodeWithoutSecretRefusesToStartNamingTheSettings() throws Exception {
    assertThat(JAR).as("built by the package phase").exists();
    Path output = Files.createTempFile("herald-packaged", ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder builder =
        new ProcessBuilder(
                List.of(
                    java,
                    "-Xmx256m",
                    "-jar",
                    JAR.toString(),
                    "--server.address=127.0.0.1",
                    "--server.port=0"))
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
    // Nothing from this machine's environment may configure it.
    builder.environment().keySet().removeIf(name -> name.startsWith("HERALD_"));
    builder.environment().keySet().removeIf(name -> name.startsWith("SPRING_"));
    Process node = builder.start();
    try {
      assertThat(node.waitFor(4, TimeUnit.MINUTES)).as("the node stops by itself").isTrue();
      String log = read(output);
      assertThat(node.exitValue()).as("exit code; log:%n%s", log).isNotZero();
      assertThat(log)
          .contains("herald.auth.hmac-secret")
          .contains("HERALD_AUTH_HMAC_SECRET")
          .contains("herald.auth.jwks-uri")
          .contains("HERALD_AUTH_INSECURE=true")
          .doesNotContain("INSECURE DEVELOPMENT MODE");
    } finally {
      node.destroyForcibly();
      Files.deleteIfExists(output);
    }
  }

  private static String read(Path output) throws IOException {
    return Files.readString(output, StandardCharsets.UTF_8);
  }
}
