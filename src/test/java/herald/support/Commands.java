package herald.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** External commands the tests set up with (apt-get, npm, redis-cli, node). */
public final class Commands {

  private Commands() {}

  /**
   * Runs {@code command} to its end, its output and errors together; fails with that output unless
   * it exits 0 within {@code seconds}, after which it is killed with every process it started.
   *
   * @return the output
   * @throws IOException when the command cannot be started (not installed)
   */
  public static String run(ProcessBuilder command, long seconds)
      throws IOException, InterruptedException {
    Path output = Files.createTempFile("herald-command", ".txt");
    try {
      Process process = command.redirectErrorStream(true).redirectOutput(output.toFile()).start();
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        fail(
            command.command()
                + " did not finish in "
                + seconds
                + " s:\n"
                + Files.readString(output, StandardCharsets.UTF_8));
      }
      String text = Files.readString(output, StandardCharsets.UTF_8);
      assertThat(process.exitValue()).as("%s\n%s", command.command(), text).isZero();
      return text;
    } finally {
      Files.deleteIfExists(output);
    }
  }
}
