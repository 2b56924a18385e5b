package herald.cluster;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * How nodes find each other ({@code herald.cluster.*}).
 *
 * @param heartbeat how often a node reports its figures to the directory
 * @param nodeTimeout how long a node stays listed after its last report: a node that died drops out
 *     of {@code /api/v1/info} after this
 * @param requestTimeout how long a cluster-wide API action waits for the other nodes' answers
 *     before it replies with what it has ({@code "partial": true})
 * @param secret the key that signs the control messages nodes exchange ({@code
 *     HERALD_CLUSTER_SECRET}, at least 32 bytes); see {@link ControlKey} for when it is needed
 */
@Validated
@ConfigurationProperties("herald.cluster")
public record ClusterProperties(
    @DefaultValue("1s") Duration heartbeat,
    @DefaultValue("3s") Duration nodeTimeout,
    @DefaultValue("2s") Duration requestTimeout,
    @Nullable String secret) {

  /** The shortest cluster secret accepted: as for the HS256 client secret. */
  static final int MIN_SECRET_BYTES = 32;

  public ClusterProperties {
    if (secret != null
        && (secret.isBlank()
            || secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES)) {
      throw new IllegalArgumentException(
          "herald.cluster.secret (HERALD_CLUSTER_SECRET) must be at least "
              + MIN_SECRET_BYTES
              + " bytes and not blank when set");
    }
    if (heartbeat.isNegative() || heartbeat.isZero()) {
      throw new IllegalArgumentException("herald.cluster.heartbeat must be positive");
    }
    if (nodeTimeout.compareTo(heartbeat.multipliedBy(2)) < 0) {
      throw new IllegalArgumentException(
          "herald.cluster.node-timeout must be at least twice herald.cluster.heartbeat");
    }
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("herald.cluster.request-timeout must be positive");
    }
  }
}
