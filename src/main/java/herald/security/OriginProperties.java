package herald.security;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Which browser origins may open WebSocket connections ({@code herald.allowed-origins}, {@code
 * HERALD_ALLOWED_ORIGINS}): a comma list of origins such as {@code https://app.example.com}, or
 * {@code *}. Empty allows only the node's own origin. An entry that is not an origin (no scheme, a
 * path, {@code null}) stops start-up: it could never match, and the browsers it was meant for would
 * be refused without a word.
 */
@ConfigurationProperties("herald")
public record OriginProperties(@DefaultValue List<String> allowedOrigins) {

  public OriginProperties {
    for (String entry : allowedOrigins) {
      String trimmed = entry.trim();
      if (!trimmed.isEmpty()
          && !trimmed.equals("*")
          && OriginPolicy.Origin.parse(trimmed) == null) {
        throw new IllegalArgumentException(
            "herald.allowed-origins: '"
                + trimmed
                + "' is not an origin; write scheme://host[:port], such as https://app.example.com");
      }
    }
  }
}
