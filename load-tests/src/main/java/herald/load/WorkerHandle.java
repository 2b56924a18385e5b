package herald.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** The coordinator's end of one {@link Worker} process: one command, one answer line. */
final class WorkerHandle {

  private final Process process;
  private final BufferedReader answers;
  private final PrintWriter commands;
  private int connections;

  WorkerHandle(List<String> command) throws IOException {
    this.process =
        new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    this.answers =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
    this.commands = new PrintWriter(process.getOutputStream(), true, StandardCharsets.US_ASCII);
  }

  long pid() {
    return process.pid();
  }

  int connections() {
    return connections;
  }

  void addConnections(int count) {
    connections += count;
  }

  synchronized String[] call(String command) {
    commands.println(command);
    try {
      String line = answers.readLine();
      if (line == null) {
        throw new IllegalStateException("worker " + pid() + " exited");
      }
      return line.split(" ");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  void stop() {
    commands.println("exit");
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
