package herald.security;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Which browser origins may open WebSocket connections ({@code herald.allowed-origins}, {@code
 * HERALD_ALLOWED_ORIGINS}): a comma list of origins such as {@code https://app.example.com}, or
 * {@code *}. Empty allows only the node's own origin.
 */
@ConfigurationProperties("herald")
public record OriginProperties(@DefaultValue List<String> allowedOrigins) {}
