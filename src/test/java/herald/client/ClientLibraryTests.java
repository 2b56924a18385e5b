package herald.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the browser client's unit tests ({@code src/test/js}, Node's own test runner) as part of
 * {@code ./mvnw verify}: backoff, recovery without gap or duplicate, token refresh and the SSE
 * fallback, against a scripted server in the Node process.
 */
class ClientLibraryTests {

  /**
   * {@code -Dherald.client-tests=false} leaves this class out of the build (a profile in pom.xml).
   */
  private static final String OPT_OUT = "herald.client-tests";

  @Test
  void nodeTestRunnerPassesEveryClientTest() throws Exception {
    Path output = Files.createTempFile("herald-client-tests", ".txt");
    try {
      Process node = start(output);
      if (!node.waitFor(120, TimeUnit.SECONDS)) {
        node.destroyForcibly();
        fail("node --test did not finish in 120 s:\n" + Files.readString(output));
      }
      String report = Files.readString(output, StandardCharsets.UTF_8);
      assertThat(node.exitValue()).as("node --test src/test/js\n%s", report).isZero();
      assertThat(report).contains("# fail 0").doesNotContain("# pass 0");
    } finally {
      Files.deleteIfExists(output);
    }
  }

  private static Process start(Path output) {
    try {
      return new ProcessBuilder("node", "--test", "src/test/js/")
          .redirectErrorStream(true)
          .redirectOutput(output.toFile())
          .start();
    } catch (IOException e) {
      return fail(
          "Node.js 20+ must be on PATH to test the browser client (or run with -D"
              + OPT_OUT
              + "=false to leave these tests out): "
              + e.getMessage());
    }
  }
}
