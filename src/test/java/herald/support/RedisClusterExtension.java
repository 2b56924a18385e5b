package herald.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Redis Cluster on 127.0.0.1 for one test class: six {@code redis-server} 7 processes (three
 * masters, three replicas) on free ports, {@code cluster-node-timeout 1000} so that a replica takes
 * over a dead master within about two seconds, nothing persisted (each node in its own temporary
 * directory, deleted afterwards). Debian's {@code redis-server} and {@code redis-tools} are
 * installed with apt-get when missing and allowed, as the browser tests do with chromium; sharded
 * pub/sub needs Redis 7, which embedded-redis's bundled 6.2 binary is not.
 *
 * <p>Started before the class's first test, every process stopped by its PID after its last one
 * (and at JVM exit). Tests may kill a node ({@link #kill}) and start it again ({@link #restart}):
 * it rejoins as a replica.
 *
 * <pre>{@code
 * @RegisterExtension static final RedisClusterExtension cluster = new RedisClusterExtension();
 * }</pre>
 */
public final class RedisClusterExtension implements BeforeAllCallback, AfterAllCallback {

  private static final Path SERVER = Path.of("/usr/bin/redis-server");
  private static final Path CLI = Path.of("/usr/bin/redis-cli");
  private static final int NODES = 6;
  private static final Duration STATE_OK_WITHIN = Duration.ofSeconds(30);

  private final Map<Integer, Process> processes = new LinkedHashMap<>();
  private final List<Integer> ports = new ArrayList<>();
  private final Map<Integer, Integer> busPorts = new LinkedHashMap<>();
  private Path dir;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    ensureInstalled();
    dir = Files.createTempDirectory("herald-redis-cluster-");
    Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "redis-cluster-stop"));
    for (int i = 0; i < NODES; i++) {
      int port = RedisServerExtension.freePort();
      ports.add(port);
      // The default bus port (port + 10000) may lie beyond 65535 or be taken: pick one too.
      busPorts.put(port, RedisServerExtension.freePort());
      start(port);
    }
    for (int port : ports) {
      await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> answers(port));
    }
    List<String> create = new ArrayList<>(List.of(CLI.toString(), "--cluster", "create"));
    ports.forEach(port -> create.add("127.0.0.1:" + port));
    create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
    run(create, 60);
    awaitHealthy();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stop();
  }

  /** The seed URIs of every node, comma-separated, as {@code herald.redis.url} takes them. */
  public String urls() {
    return ports.stream().map(port -> "redis://127.0.0.1:" + port).collect(Collectors.joining(","));
  }

  /** The ports of the nodes that are masters now, by their own account, in port order. */
  public List<Integer> masters() {
    return ports.stream()
        .filter(port -> processes.get(port).isAlive())
        .filter(port -> cli(port, "ROLE").startsWith("master"))
        .sorted()
        .toList();
  }

  /** Every node's port. */
  public List<Integer> ports() {
    return List.copyOf(ports);
  }

  /** Kills the node on {@code port} with SIGKILL (as {@code kill -9}) and waits for its exit. */
  public synchronized void kill(int port) {
    Process process = processes.get(port);
    process.destroyForcibly();
    try {
      assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("redis %d exited", port).isTrue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Starts a killed node again on its port and config; it rejoins the cluster as a replica. */
  public synchronized void restart(int port) {
    start(port);
    await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> answers(port));
  }

  /**
   * Waits until every live node reports {@code cluster_state:ok}, every slot is served and every
   * live node agrees on which masters serve them.
   */
  public void awaitHealthy() {
    await()
        .atMost(STATE_OK_WITHIN)
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () ->
                processes.entrySet().stream()
                    .filter(entry -> entry.getValue().isAlive())
                    .allMatch(entry -> healthy(entry.getKey())));
  }

  private boolean healthy(int port) {
    String info = cli(port, "CLUSTER", "INFO");
    return info.contains("cluster_state:ok") && info.contains("cluster_slots_ok:16384");
  }

  /** Runs {@code redis-cli -p port args...}; returns its output (errors included). */
  public String cli(int port, String... args) {
    List<String> command = new ArrayList<>(List.of(CLI.toString(), "-p", Integer.toString(port)));
    command.addAll(List.of(args));
    return run(command, 30);
  }

  /** Runs {@code redis-cli} with {@code args} (for {@code --cluster reshard} and the like). */
  public String cliTool(String... args) {
    List<String> command = new ArrayList<>(List.of(CLI.toString()));
    command.addAll(List.of(args));
    return run(command, 120);
  }

  /** A number from {@code CLUSTER INFO} of the node on {@code port}. */
  public long clusterInfo(int port, String field) {
    return cli(port, "CLUSTER", "INFO")
        .lines()
        .filter(line -> line.startsWith(field + ":"))
        .map(line -> Long.parseLong(line.substring(field.length() + 1).trim()))
        .findFirst()
        .orElse(0L);
  }

  private synchronized void start(int port) {
    Path nodeDir = dir.resolve(Integer.toString(port));
    try {
      Files.createDirectories(nodeDir);
      Process process =
          new ProcessBuilder(
                  SERVER.toString(),
                  "--port",
                  Integer.toString(port),
                  "--bind",
                  "127.0.0.1",
                  "--cluster-enabled",
                  "yes",
                  "--cluster-config-file",
                  nodeDir.resolve("nodes.conf").toString(),
                  "--cluster-port",
                  Integer.toString(busPorts.get(port)),
                  "--cluster-node-timeout",
                  "1000",
                  // A replica may always take over, however long it was out of touch.
                  "--cluster-replica-validity-factor",
                  "0",
                  // A dead master refuses only its own slots; Redis's default refuses every slot
                  // (CLUSTERDOWN) until a replica takes over, as the README recommends against.
                  "--cluster-require-full-coverage",
                  "no",
                  "--save",
                  "",
                  "--appendonly",
                  "no",
                  "--repl-diskless-sync",
                  "yes",
                  "--repl-diskless-sync-delay",
                  "0",
                  "--dir",
                  nodeDir.toString(),
                  "--logfile",
                  nodeDir.resolve("redis.log").toString())
              .directory(nodeDir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(nodeDir.resolve("stdout.log").toFile())
              .start();
      processes.put(port, process);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private boolean answers(int port) {
    return cli(port, "PING").trim().equals("PONG");
  }

  private synchronized void stop() {
    for (Process process : processes.values()) {
      // By PID: the process this extension started, nothing else.
      process.destroyForcibly();
    }
    for (Process process : processes.values()) {
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    processes.clear();
    if (dir != null && Files.exists(dir)) {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      } catch (IOException e) {
        // Temporary files only; nothing to do.
      }
    }
  }

  private static void ensureInstalled() {
    if (Files.isExecutable(SERVER) && Files.isExecutable(CLI)) {
      return;
    }
    boolean root = "root".equals(System.getProperty("user.name"));
    if (!root || !Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
      fail(
          "redis-server 7 is needed at "
              + SERVER
              + " for the Redis Cluster tests (Debian: apt-get install redis-server redis-tools)");
    }
    run(List.of("apt-get", "update", "-qq"), 600);
    run(List.of("apt-get", "install", "-y", "-qq", "redis-server", "redis-tools"), 900);
    assertThat(SERVER).as("redis-server after apt-get install").isExecutable();
  }

  /** Runs a command to its end; fails with its output unless it exits 0. */
  private static String run(List<String> command, long seconds) {
    try {
      return Commands.run(new ProcessBuilder(command), seconds);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
