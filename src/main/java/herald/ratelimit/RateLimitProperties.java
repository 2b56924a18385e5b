package herald.ratelimit;

import jakarta.validation.constraints.Positive;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Rate limits ({@code herald.rate-limits.*}): each a sustained rate per second with room for
 * bursts.
 *
 * @param enabled whether any limit applies (off only for benchmarks that measure their cost)
 * @param inboundFramesPerSecond requests per WebSocket connection
 * @param inboundFramesBurst requests one connection may send at once
 * @param connectionsPerIpPerSecond new SSE and WebSocket connections per client IP
 * @param connectionsPerIpBurst new connections one address may open at once
 * @param apiPublishesPerSecond publications through the backend API (a broadcast counts each
 *     channel)
 * @param apiPublishesBurst publications the API accepts at once
 * @param trackedIps most client addresses whose limiters are kept; the least recently seen go first
 */
@Validated
@ConfigurationProperties("herald.rate-limits")
public record RateLimitProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("50") @Positive int inboundFramesPerSecond,
    @DefaultValue("100") @Positive int inboundFramesBurst,
    @DefaultValue("20") @Positive int connectionsPerIpPerSecond,
    @DefaultValue("20") @Positive int connectionsPerIpBurst,
    @DefaultValue("10000") @Positive int apiPublishesPerSecond,
    @DefaultValue("10000") @Positive int apiPublishesBurst,
    @DefaultValue("100000") @Positive int trackedIps) {

  Rate inboundFrames() {
    return new Rate(inboundFramesPerSecond, inboundFramesBurst);
  }

  Rate connectionsPerIp() {
    return new Rate(connectionsPerIpPerSecond, connectionsPerIpBurst);
  }

  Rate apiPublishes() {
    return new Rate(apiPublishesPerSecond, apiPublishesBurst);
  }

  /** A sustained rate with room for bursts. */
  record Rate(int perSecond, int burst) {}
}
