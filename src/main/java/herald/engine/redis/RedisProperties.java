package herald.engine.redis;

import jakarta.validation.constraints.Positive;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The Redis engine's settings ({@code herald.redis.*}).
 *
 * @param url {@code redis://[[user]:password@]host[:port][/database]}, {@code rediss://} for TLS,
 *     or {@code redis-sentinel://host[:port][,host2…]#master} (see {@link RedisUrl}); when blank,
 *     the in-memory engine runs. Redis need not be reachable at start-up
 * @param commandTimeout how long one Redis command may take before it fails (and counts against the
 *     circuit breaker)
 * @param connectTimeout how long opening a connection to Redis may take
 * @param pubsubConnections how many pub/sub connections carry this node's channel subscriptions
 * @param presenceTtl how long a presence entry lives unless its node refreshes it (every third of
 *     this); entries of a node that died vanish after it
 * @param breakerOpenDuration how long the circuit breaker stays open before it lets calls probe
 *     Redis again
 * @param maxCommandsInFlight how many commands done for subscribers (subscribe, recovery and
 *     history reads, presence, connection claims) may be on the command connection at once
 * @param maxQueuedCommands how many more may wait for their turn; past that they fail at once with
 *     503, which clients retry
 * @param cluster whether {@code url} names the seed nodes of a Redis Cluster (Redis 7 or newer, one
 *     or more comma-separated {@code redis://} URIs): channels then use sharded pub/sub, one
 *     connection per master (README "Redis Cluster")
 * @param topologyRefresh how often the cluster's topology is read again when nothing prompted it
 *     earlier (a {@code MOVED}, a lost connection or an unrequested {@code SUNSUBSCRIBE} prompt it
 *     at once); only with {@code cluster}
 */
@Validated
@ConfigurationProperties("herald.redis")
public record RedisProperties(
    @Nullable String url,
    @DefaultValue("1s") Duration commandTimeout,
    @DefaultValue("2s") Duration connectTimeout,
    @DefaultValue("4") @Positive int pubsubConnections,
    @DefaultValue("60s") Duration presenceTtl,
    @DefaultValue("1s") Duration breakerOpenDuration,
    @DefaultValue("64") @Positive int maxCommandsInFlight,
    @DefaultValue("10000") @Positive int maxQueuedCommands,
    @DefaultValue("false") boolean cluster,
    @DefaultValue("5s") Duration topologyRefresh) {

  /** The settings for {@code url} with every default. */
  static RedisProperties of(String url) {
    return new RedisProperties(
        url,
        Duration.ofSeconds(1),
        Duration.ofSeconds(2),
        4,
        Duration.ofSeconds(60),
        Duration.ofSeconds(1),
        64,
        10_000,
        false,
        Duration.ofSeconds(5));
  }

  /** The settings for a Redis Cluster whose seed nodes are {@code urls}, with every default. */
  static RedisProperties ofCluster(String urls) {
    RedisProperties defaults = of(urls);
    return new RedisProperties(
        urls,
        defaults.commandTimeout(),
        defaults.connectTimeout(),
        defaults.pubsubConnections(),
        defaults.presenceTtl(),
        defaults.breakerOpenDuration(),
        defaults.maxCommandsInFlight(),
        defaults.maxQueuedCommands(),
        true,
        defaults.topologyRefresh());
  }
}
