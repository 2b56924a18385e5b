package herald.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;
import redis.embedded.core.RedisServerBuilder;

/**
 * A real {@code redis-server} on a free port of 127.0.0.1: the one on the PATH when there is one,
 * else embedded-redis's bundled binary. Nothing is persisted ({@code save ""}, {@code appendonly
 * no}, {@code dir} a temp directory).
 *
 * <p>{@link #shared()} is started once per JVM and used by every test class that does not stop
 * Redis; tests that stop and restart Redis take their own {@link #dedicated()} server. Every server
 * is stopped at JVM exit; a dedicated one also after its test class.
 *
 * <pre>{@code
 * @RegisterExtension static final RedisServerExtension redis = RedisServerExtension.shared();
 * }</pre>
 */
public final class RedisServerExtension implements BeforeAllCallback, AfterAllCallback {

  private static final RedisServerExtension SHARED = new RedisServerExtension(false);

  private final int port = freePort();
  private final boolean dedicated;
  private final RedisServer server;

  private RedisServerExtension(boolean dedicated) {
    this.dedicated = dedicated;
    try {
      Path dir = Files.createTempDirectory("herald-redis-");
      RedisServerBuilder builder =
          RedisServer.newRedisServer()
              .port(port)
              .bind("127.0.0.1")
              .setting("save \"\"")
              .setting("appendonly no")
              .setting("dir " + dir);
      if (onPath("redis-server")) {
        builder.executableProvider(ExecutableProvider.newExecutableInPath("redis-server"));
      }
      server = builder.build();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "redis-stop-" + port));
  }

  /** The server shared by the JVM's test classes; never stop it. */
  public static RedisServerExtension shared() {
    return SHARED;
  }

  /** A server of the caller's own, which it may stop and start again. */
  public static RedisServerExtension dedicated() {
    return new RedisServerExtension(true);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    start();
  }

  /** Stops a dedicated server; the shared one runs until JVM exit. */
  @Override
  public void afterAll(ExtensionContext context) {
    if (dedicated) {
      stop();
    }
  }

  /** Starts the server (again) on its port; does nothing when it runs. */
  public synchronized void start() {
    if (server.isActive()) {
      return;
    }
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the server; does nothing when it is stopped. */
  public synchronized void stop() {
    if (!server.isActive()) {
      return;
    }
    try {
      server.stop();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  /** {@code redis://127.0.0.1:<port>}. */
  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  private static boolean onPath(String executable) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (new File(dir, executable).canExecute()) {
        return true;
      }
    }
    return false;
  }

  /** A port of 127.0.0.1 free now (the Redis test servers' way to pick theirs). */
  static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
