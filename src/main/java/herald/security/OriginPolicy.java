package herald.security;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Refuses WebSocket handshakes from origins that are not allowed, against cross-site WebSocket
 * hijacking. Requests without an {@code Origin} header (non-browser clients) pass: only browsers
 * attach ambient credentials, and they always send the header.
 */
public final class OriginPolicy {

  private final List<String> allowed;
  private final boolean any;

  public OriginPolicy(OriginProperties properties) {
    this.allowed =
        properties.allowedOrigins().stream()
            .map(String::trim)
            .filter(origin -> !origin.isEmpty())
            .map(OriginPolicy::normalise)
            .toList();
    this.any = allowed.contains("*");
  }

  /**
   * @param origin the request's {@code Origin} header, if any
   * @param requestUri the URI the request was made to, for the same-origin check
   */
  public boolean allows(@Nullable String origin, URI requestUri) {
    if (origin == null || any) {
      return true;
    }
    String normalised = normalise(origin);
    return allowed.contains(normalised) || sameOrigin(normalised, requestUri);
  }

  private static boolean sameOrigin(String origin, URI requestUri) {
    URI parsed;
    try {
      parsed = URI.create(origin);
    } catch (IllegalArgumentException e) {
      return false;
    }
    String host = parsed.getHost();
    return host != null
        && host.equalsIgnoreCase(requestUri.getHost())
        && port(parsed) == port(requestUri);
  }

  private static int port(URI uri) {
    if (uri.getPort() >= 0) {
      return uri.getPort();
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    return scheme.equals("https") || scheme.equals("wss") ? 443 : 80;
  }

  private static String normalise(String origin) {
    String trimmed = origin.trim().toLowerCase(Locale.ROOT);
    return trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
  }
}
