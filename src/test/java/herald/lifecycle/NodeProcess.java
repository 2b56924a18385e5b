package herald.lifecycle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * A Herald node in its own JVM ({@code java -cp} with the test classpath, so it runs the code under
 * test, not a jar that may be stale), on loopback ports chosen here, with its output in a file
 * under {@code target/}. {@link #close()} kills it by PID if it is still running.
 */
final class NodeProcess implements AutoCloseable {

  private final Process process;
  private final int port;
  private final int managementPort;
  private final Path log;

  private NodeProcess(Process process, int port, int managementPort, Path log) {
    this.process = process;
    this.port = port;
    this.managementPort = managementPort;
    this.log = log;
  }

  /**
   * Starts a node with the client port and the management port apart, as the Kubernetes manifests
   * run it, plus {@code environment}.
   */
  static NodeProcess start(String name, Map<String, String> environment) throws IOException {
    int port = freePort();
    int managementPort = freePort();
    Path log = Path.of("target", name + ".log");
    Files.createDirectories(log.getParent());
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>();
    command.add(java);
    // Start-up speed over peak speed: this node lives for seconds.
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("herald.HeraldApplication");
    command.add("--server.address=127.0.0.1");
    command.add("--management.server.address=127.0.0.1");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().put("PORT", Integer.toString(port));
    builder.environment().put("MANAGEMENT_SERVER_PORT", Integer.toString(managementPort));
    builder.environment().putAll(environment);
    return new NodeProcess(builder.start(), port, managementPort, log);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  int port() {
    return port;
  }

  int managementPort() {
    return managementPort;
  }

  long pid() {
    return process.pid();
  }

  /** Waits until readiness answers 200 on the management port; fails if the node died first. */
  void awaitReady(Duration timeout) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    Awaitility.await("node ready, log in " + log)
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(250))
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException("node exited at start-up; see " + log);
              }
              return readinessStatus(http) == 200;
            });
  }

  /** The status readiness answers now, or -1 when nothing answers on the management port. */
  int readinessStatus(HttpClient http) {
    HttpRequest request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort + "/actuator/health/readiness"))
            .timeout(Duration.ofSeconds(2))
            .build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** Sends SIGTERM ({@link Process#destroy()} does on Linux). */
  void terminate() {
    process.destroy();
  }

  /** Waits for the process to exit; returns its exit code. */
  int awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new AssertionError("node still running " + timeout + " after SIGTERM; log in " + log);
    }
    return process.exitValue();
  }

  /** The node's output so far. */
  String output() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
