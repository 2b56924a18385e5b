package herald.proxy;

import herald.config.InvalidSettingException;
import jakarta.validation.constraints.Positive;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMin;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * How Herald calls backends ({@code herald.proxy.*}): the {@code rpc} endpoint and the limits of
 * every proxy call, the namespaces' publish proxies ({@code herald.namespaces.<ns>.publish-proxy})
 * included.
 *
 * @param rpc the http(s) URL {@code rpc} calls are POSTed to; without it {@code rpc} answers 404
 * @param timeout how long a backend has to answer before the client gets 504
 * @param maxInFlightPerConnection how many proxy calls (publishes in proxied namespaces and {@code
 *     rpc}) one WebSocket connection may have waiting for a backend at once; one more gets 429
 * @param maxConnections most HTTP connections open to each backend (host and port)
 * @param maxPendingAcquires most calls waiting for one of those connections; past that a call fails
 *     at once with 503
 * @param maxAnswerSize largest answer body read from a backend; a larger one is a 502
 * @param breakerOpenDuration how long a backend's circuit breaker, once open after repeated
 *     failures, refuses calls (503) before it lets a few through to probe
 */
@Validated
@ConfigurationProperties("herald.proxy")
public record BackendProxyProperties(
    @Nullable String rpc,
    @DefaultValue("3s") @DurationMin(millis = 1, message = "must be positive") Duration timeout,
    @DefaultValue("1") @Positive int maxInFlightPerConnection,
    @DefaultValue("64") @Positive int maxConnections,
    @DefaultValue("1000") @Positive int maxPendingAcquires,
    @DefaultValue("256KB") DataSize maxAnswerSize,
    @DefaultValue("5s") @DurationMin(millis = 1, message = "must be positive")
        Duration breakerOpenDuration) {

  public BackendProxyProperties {
    if (maxAnswerSize.toBytes() <= 0 || maxAnswerSize.toBytes() > Integer.MAX_VALUE / 2) {
      throw new InvalidSettingException(
          "herald.proxy.max-answer-size", "is out of range", "give a size such as 256KB or 1MB");
    }
  }
}
