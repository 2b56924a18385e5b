package herald.warmup;

import herald.security.AuthMode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.core.env.Environment;

/**
 * Starts the warm-up once the node has started, against the address the node listens on, or says
 * why there is none: readiness then does not wait for it.
 */
final class WarmUpStarter implements ApplicationListener<ApplicationReadyEvent> {

  private final SelfWarmUp warmUp;
  private final WarmUpProperties properties;
  private final AuthMode mode;
  private final Environment environment;

  WarmUpStarter(
      SelfWarmUp warmUp, WarmUpProperties properties, AuthMode mode, Environment environment) {
    this.warmUp = warmUp;
    this.properties = properties;
    this.mode = mode;
    this.environment = environment;
  }

  @Override
  public void onApplicationEvent(ApplicationReadyEvent event) {
    String reason = reasonToSkip(properties, mode, environment);
    if (reason != null) {
      warmUp.skip(reason);
    } else if (event.getApplicationContext() instanceof WebServerApplicationContext context) {
      try {
        warmUp.start(new InetSocketAddress(address(environment), context.getWebServer().getPort()));
      } catch (RuntimeException unexpected) {
        // Thrown from here it would stop the application: a warm-up must never keep a node out.
        warmUp.skip("it could not start: " + unexpected);
      }
    } else {
      warmUp.skip("no web server");
    }
  }

  /** Why this node cannot or need not warm up, or {@code null} when it does. */
  static @Nullable String reasonToSkip(
      WarmUpProperties properties, AuthMode mode, Environment environment) {
    if (!properties.enabled()) {
      return "herald.warm-up.connections is 0";
    }
    if (mode == AuthMode.JWKS) {
      return "tokens are checked with herald.auth.jwks-uri, and the node cannot sign one itself";
    }
    if (servesTls(environment)) {
      return "the server speaks TLS (server.ssl)";
    }
    return null;
  }

  /** Where the node listens: {@code server.address}, or loopback when it listens everywhere. */
  private static InetAddress address(Environment environment) {
    InetAddress bound = environment.getProperty("server.address", InetAddress.class);
    return bound == null || bound.isAnyLocalAddress() ? InetAddress.getLoopbackAddress() : bound;
  }

  private static boolean servesTls(Environment environment) {
    return environment.getProperty("server.ssl.enabled", Boolean.class, true)
        && (environment.containsProperty("server.ssl.bundle")
            || environment.containsProperty("server.ssl.key-store")
            || environment.containsProperty("server.ssl.certificate"));
  }
}
