package herald.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import herald.support.Commands;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The demo page and {@code herald.js} in headless Chromium ({@code src/test/browser}): ticker
 * updates with no one typing, two pages chatting with presence, reconnect after a server drop,
 * {@code onReset} after a node restart, the SSE+POST fallback behind a proxy that refuses upgrades,
 * and the demo page on a node that verifies tokens. Nodes are started from the packaged jar, so
 * this runs after {@code package}. Screenshots land in {@code target/browser-screenshots}.
 *
 * <p>Needs Debian's {@code chromium} (installed here with apt-get when missing and allowed) and the
 * npm registry for {@code playwright-core}; {@code -Dherald.browser-tests=false} leaves this class
 * out of the build (a profile in pom.xml) where neither can be had.
 */
class BrowserIntegrationTests {

  private static final String OPT_OUT = "herald.browser-tests";
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path SOURCES = Path.of("src/test/browser");
  private static final Path WORK = Path.of("target/browser-tests");

  @Test
  void pagesAndClientWorkInARealBrowser() throws Exception {
    Path jar = Path.of("target/herald.jar").toAbsolutePath();
    assertThat(jar).as("the packaged node (this test runs after package)").exists();
    ensureChromium();
    Path tests = prepareWorkspace();

    String report =
        run(
            List.of("node", "--test", "--test-concurrency=1", tests.toString()),
            WORK,
            600,
            "HERALD_JAR",
            jar.toString(),
            "SCREENSHOTS",
            Path.of("target/browser-screenshots").toAbsolutePath().toString());
    System.out.println(report);
    assertThat(report).contains("# fail 0").doesNotContain("# pass 0");
  }

  private static void ensureChromium() throws Exception {
    if (Files.isExecutable(CHROMIUM)) {
      return;
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!root || !Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
      fail(
          "headless Chromium is needed at "
              + CHROMIUM
              + " (Debian: apt-get install chromium), or run with -D"
              + OPT_OUT
              + "=false to leave the browser tests out");
    }
    run(List.of("apt-get", "update", "-qq"), Path.of("."), 600);
    run(List.of("apt-get", "install", "-y", "-qq", "chromium"), Path.of("."), 900);
    assertThat(CHROMIUM).as("chromium after apt-get install").isExecutable();
  }

  /** Copies the tests and their lock file under target and installs playwright-core there. */
  private static Path prepareWorkspace() throws Exception {
    Files.createDirectories(WORK);
    for (String file : List.of("package.json", "package-lock.json", "pages.test.mjs")) {
      Files.copy(SOURCES.resolve(file), WORK.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
    if (!Files.isDirectory(WORK.resolve("node_modules/playwright-core"))) {
      run(List.of("npm", "ci", "--no-audit", "--no-fund"), WORK, 300);
    }
    return WORK.resolve("pages.test.mjs").toAbsolutePath();
  }

  /** Runs a command to its end; fails with its output unless it exits 0. */
  private static String run(List<String> command, Path directory, long seconds, String... env)
      throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile());
    for (int i = 0; i < env.length; i += 2) {
      builder.environment().put(env[i], env[i + 1]);
    }
    try {
      return Commands.run(builder, seconds);
    } catch (IOException e) {
      return fail(
          command.get(0)
              + " is needed for the browser tests (or run with -D"
              + OPT_OUT
              + "=false): "
              + e.getMessage());
    }
  }
}
