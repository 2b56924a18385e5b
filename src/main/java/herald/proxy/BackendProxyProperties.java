package herald.proxy;

import herald.config.InvalidSettingException;
import jakarta.validation.constraints.Positive;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;
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
 * @param headers headers sent with every call, so that a backend can tell Herald's calls from
 *     anyone else's ({@code herald.proxy.headers.authorization=Bearer <secret>}); values are never
 *     logged
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
        Duration breakerOpenDuration,
    @DefaultValue Map<String, String> headers) {

  /** RFC 9110's token characters: what a header name may hold. */
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  public BackendProxyProperties {
    headers = Map.copyOf(headers);
    headers.forEach(
        (name, value) -> {
          if (!HEADER_NAME.matcher(name).matches()
              || value.chars().anyMatch(c -> c == '\r' || c == '\n' || c == 0)) {
            throw new InvalidSettingException(
                "herald.proxy.headers." + name,
                "is not a valid HTTP header",
                "give a header name of letters, digits and dashes, and a value on one line");
          }
        });
    if (maxAnswerSize.toBytes() <= 0 || maxAnswerSize.toBytes() > Integer.MAX_VALUE / 2) {
      throw new InvalidSettingException(
          "herald.proxy.max-answer-size", "is out of range", "give a size such as 256KB or 1MB");
    }
  }
}
