package herald.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * This node's identity ({@code herald.node.*}).
 *
 * @param name the node's name in replies, presence and {@code /api/v1/info}; defaults to the host
 *     name (the pod name on Kubernetes) with a random suffix
 */
@ConfigurationProperties("herald.node")
public record NodeProperties(@Nullable String name) {

  /** The configured name, or a generated one. */
  public String resolvedName() {
    if (name != null && !name.isBlank()) {
      return name;
    }
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      host = "herald";
    }
    return host + "-" + Integer.toString(ThreadLocalRandom.current().nextInt(1 << 20, 1 << 24), 36);
  }
}
