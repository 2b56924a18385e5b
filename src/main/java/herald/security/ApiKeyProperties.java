package herald.security;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The backend API key ({@code herald.api.key}, {@code HERALD_API_KEY}). Without one the backend API
 * answers 403 to everything.
 */
@ConfigurationProperties("herald.api")
public record ApiKeyProperties(@Nullable String key) {

  public boolean configured() {
    return key != null && !key.isBlank();
  }
}
