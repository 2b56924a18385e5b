package herald.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import herald.observability.HeraldMetrics;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import java.time.Duration;

/**
 * Makes and holds Herald's Resilience4j rate limiters.
 *
 * <p>Resilience4j's limiter hands out {@code limitForPeriod} permits per {@code limitRefreshPeriod}
 * window. A rate of {@code perSecond} with bursts of {@code burst} becomes {@code burst} permits
 * per {@code burst / perSecond} seconds: the same average, and up to {@code burst} at once. The
 * timeout is zero, so asking for a permit never parks a thread.
 *
 * <p>Per-connection limiters are owned by their connection and never registered anywhere, so they
 * go with it. Per-IP limiters live in a bounded cache that forgets idle addresses, so millions of
 * distinct addresses cannot grow memory without bound.
 */
public final class RateLimits {

  private final RateLimitProperties properties;
  private final RateLimiterConfig inboundFrames;
  private final RateLimiterConfig connectionsPerIp;
  private final RateLimiter apiPublishes;
  private final Cache<String, RateLimiter> ipLimiters;
  private final Cache<String, RateLimiter> commandLimiters;
  private final HeraldMetrics metrics;

  /** Limits whose refusals are counted nowhere; for tests. */
  public RateLimits(RateLimitProperties properties) {
    this(properties, HeraldMetrics.unregistered());
  }

  /**
   * @param metrics where refusals are counted ({@code herald_rate_limited_total})
   */
  public RateLimits(RateLimitProperties properties, HeraldMetrics metrics) {
    this.properties = properties;
    this.metrics = metrics;
    this.inboundFrames = config(properties.inboundFrames());
    this.connectionsPerIp = config(properties.connectionsPerIp());
    this.apiPublishes = RateLimiter.of("api-publishes", config(properties.apiPublishes()));
    this.ipLimiters =
        Caffeine.newBuilder()
            .maximumSize(properties.trackedIps())
            .expireAfterAccess(window(properties.connectionsPerIp()).multipliedBy(2))
            .build();
    this.commandLimiters =
        Caffeine.newBuilder()
            .maximumSize(properties.trackedIps())
            .expireAfterAccess(window(properties.inboundFrames()).multipliedBy(2))
            .build();
  }

  static RateLimiterConfig config(RateLimitProperties.Rate rate) {
    return RateLimiterConfig.custom()
        .limitForPeriod(rate.burst())
        .limitRefreshPeriod(window(rate))
        .timeoutDuration(Duration.ZERO)
        .build();
  }

  private static Duration window(RateLimitProperties.Rate rate) {
    return Duration.ofNanos(Math.max(1_000_000L, 1_000_000_000L * rate.burst() / rate.perSecond()));
  }

  public boolean enabled() {
    return properties.enabled();
  }

  /** A new limiter for one connection's inbound frames; the connection owns it. */
  public RateLimiter inboundFrames() {
    return RateLimiter.of("inbound-frames", inboundFrames);
  }

  /** How many rejected frames in a row make a connection "keep it up" (then close 4029). */
  public int rejectionsBeforeClose() {
    return properties.inboundFrames().burst();
  }

  /**
   * Takes a permit for a new connection from {@code clientIp}.
   *
   * @throws RateLimitedException when the address opens connections too fast
   */
  public void acquireConnection(String clientIp) {
    if (!properties.enabled()) {
      return;
    }
    RateLimiter limiter = ipLimiters.get(clientIp, ip -> RateLimiter.of("ip", connectionsPerIp));
    if (!limiter.acquirePermission()) {
      metrics.rateLimited(HeraldMetrics.Limit.CONNECTIONS_PER_IP);
      throw new RateLimitedException("too many new connections", retryAfter(limiter));
    }
  }

  /**
   * Takes a permit for one command sent over HTTP ({@code POST /sse/commands}), at the rate a
   * WebSocket connection may send frames, per {@code sender} (a user, or the address of a client
   * without a token). Limiters sit in a bounded cache, like the per-IP ones.
   *
   * @throws RateLimitedException when the sender sends too fast
   */
  public void acquireCommand(String sender) {
    if (!properties.enabled()) {
      return;
    }
    RateLimiter limiter =
        commandLimiters.get(sender, key -> RateLimiter.of("commands", inboundFrames));
    if (!limiter.acquirePermission()) {
      metrics.rateLimited(HeraldMetrics.Limit.HTTP_COMMANDS);
      throw new RateLimitedException("too many commands", retryAfter(limiter));
    }
  }

  /**
   * Takes {@code publications} permits from the backend API's budget.
   *
   * @throws RateLimitedException when backends publish too fast
   */
  public void acquireApiPublishes(int publications) {
    if (!properties.enabled()) {
      return;
    }
    if (publications > properties.apiPublishes().burst()
        || !apiPublishes.acquirePermission(publications)) {
      metrics.rateLimited(HeraldMetrics.Limit.API_PUBLISHES);
      throw new RateLimitedException("too many publications", retryAfter(apiPublishes));
    }
  }

  /** How many client addresses are tracked now; bounded by {@code trackedIps}. */
  public long trackedIps() {
    ipLimiters.cleanUp();
    return ipLimiters.estimatedSize();
  }

  static Duration retryAfter(RateLimiter limiter) {
    Duration window = limiter.getRateLimiterConfig().getLimitRefreshPeriod();
    return window.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : window;
  }
}
