package herald.engine.redis;

import herald.config.InvalidSettingException;
import io.lettuce.core.RedisURI;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Reads {@code herald.redis.url} with Lettuce's {@link RedisURI} rules: {@code redis://} and {@code
 * rediss://} (TLS), user and password, database ({@code /2} or {@code ?database=2}), and {@code
 * redis-sentinel://}. A bad URL is a configuration error: it stops start-up with a message that
 * names the setting but never repeats the URL, which may hold a password.
 */
final class RedisUrl {

  private static final String SETTING = "herald.redis.url";

  static final String FORMS =
      "redis://[[user]:password@]host[:port][/database],"
          + " rediss://... for TLS,"
          + " or redis-sentinel://[[user]:password@]host[:port][,host2[:port2]][/database]#master";

  private RedisUrl() {}

  /**
   * @throws InvalidSettingException naming {@code herald.redis.url} when {@code url} is blank or
   *     not a Redis URL
   */
  static RedisURI parse(@Nullable String url) {
    if (url == null || url.isBlank()) {
      throw new InvalidSettingException(
          SETTING, "must be set for the Redis engine", "use " + FORMS);
    }
    RedisURI uri;
    try {
      uri = RedisURI.create(url.trim());
    } catch (RuntimeException e) {
      // The cause is left out on purpose: its message quotes the URL, password included.
      throw invalid();
    }
    boolean sentinel = !uri.getSentinels().isEmpty();
    if (sentinel && (uri.getSentinelMasterId() == null || uri.getSentinelMasterId().isBlank())) {
      throw invalid();
    }
    if (!sentinel
        && uri.getSocket() == null
        && (uri.getHost() == null || uri.getHost().isBlank())) {
      throw invalid();
    }
    return uri;
  }

  /**
   * The seed nodes of a Redis Cluster: one or more comma-separated {@code redis://} or {@code
   * rediss://} URIs ({@code redis://h1:7001,redis://h2:7002}); a seed without a scheme takes the
   * first one's. Sentinel URLs make no sense for a cluster and are refused.
   *
   * @throws InvalidSettingException naming {@code herald.redis.url} when {@code url} is blank or
   *     one of its seeds is not a Redis URL
   */
  static List<RedisURI> parseSeeds(@Nullable String url) {
    if (url == null || url.isBlank()) {
      throw new InvalidSettingException(
          SETTING, "must be set for the Redis engine", "use " + CLUSTER_FORMS);
    }
    List<RedisURI> seeds = new ArrayList<>();
    String scheme = null;
    for (String part : url.split(",")) {
      String seed = part.trim();
      if (seed.isEmpty()) {
        continue;
      }
      if (!seed.contains("://")) {
        seed = (scheme == null ? "redis" : scheme) + "://" + seed;
      }
      if (scheme == null) {
        scheme = seed.substring(0, seed.indexOf("://"));
      }
      RedisURI uri = parse(seed);
      if (!uri.getSentinels().isEmpty() || uri.getSocket() != null) {
        throw new InvalidSettingException(
            SETTING, "is not a list of Redis Cluster seed nodes", "use " + CLUSTER_FORMS);
      }
      seeds.add(uri);
    }
    if (seeds.isEmpty()) {
      throw invalid();
    }
    return seeds;
  }

  static final String CLUSTER_FORMS =
      "redis://[[user]:password@]host:port[,redis://host2:port2...] with herald.redis.cluster=true";

  private static InvalidSettingException invalid() {
    return new InvalidSettingException(SETTING, "is not a valid Redis URL", "use " + FORMS);
  }
}
