package herald.api;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Idempotent publishing by the backend API ({@code herald.api.*}; the key itself is {@link
 * herald.security.ApiKeyProperties}).
 *
 * @param idempotencyWindow how long a publish's {@code idempotencyKey} is remembered per channel
 *     ({@code HERALD_API_IDEMPOTENCY_WINDOW}): a repeat within it publishes nothing and answers the
 *     first result
 */
@ConfigurationProperties("herald.api")
public record IdempotencyProperties(@DefaultValue("5m") Duration idempotencyWindow) {

  public IdempotencyProperties {
    if (idempotencyWindow.toMillis() < 1) {
      throw new IllegalArgumentException(
          "herald.api.idempotency-window (HERALD_API_IDEMPOTENCY_WINDOW) must be at least 1ms");
    }
  }
}
