package herald.security;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Refuses WebSocket handshakes from origins that are not allowed, against cross-site WebSocket
 * hijacking. Requests without an {@code Origin} header (non-browser clients) pass: only browsers
 * attach ambient credentials, and they always send the header.
 *
 * <p>Origins are compared as RFC 6454 defines them: scheme, host and port, with the scheme's
 * default port filled in ({@code http://a} is {@code http://a:80}) and case ignored; {@code
 * http://a} and {@code https://a} are different origins. {@code Origin: null} (sandboxed frames,
 * local files, some redirects) is an opaque origin that any site can produce, so it is refused even
 * when {@code *} is allowed.
 */
public final class OriginPolicy {

  private final List<Origin> allowed;
  private final boolean any;

  public OriginPolicy(OriginProperties properties) {
    List<String> entries =
        properties.allowedOrigins().stream()
            .map(String::trim)
            .filter(origin -> !origin.isEmpty())
            .toList();
    this.any = entries.contains("*");
    this.allowed =
        entries.stream()
            .filter(entry -> !entry.equals("*"))
            .map(entry -> Objects.requireNonNull(Origin.parse(entry)))
            .toList();
  }

  /**
   * @param origin the request's {@code Origin} header, if any
   * @param requestUri the URI the request was made to, for the same-origin check
   */
  public boolean allows(@Nullable String origin, URI requestUri) {
    if (origin == null) {
      return true;
    }
    Origin parsed = Origin.parse(origin);
    if (parsed == null) {
      return false;
    }
    return any || allowed.contains(parsed) || parsed.equals(Origin.of(requestUri));
  }

  /** An origin as RFC 6454 compares it: lower-case scheme and host, and an explicit port. */
  record Origin(String scheme, String host, int port) {

    /**
     * {@code text} as an origin ({@code https://app.example.com[:port]}, a trailing slash
     * tolerated), or {@code null} when it is not one: {@code null}, no scheme, a path, a query...
     */
    static @Nullable Origin parse(String text) {
      String trimmed = text.trim();
      if (trimmed.endsWith("/")) {
        trimmed = trimmed.substring(0, trimmed.length() - 1);
      }
      URI uri;
      try {
        uri = new URI(trimmed);
      } catch (URISyntaxException e) {
        return null;
      }
      if (uri.isOpaque()
          || uri.getRawUserInfo() != null
          || (uri.getRawPath() != null && !uri.getRawPath().isEmpty())
          || uri.getRawQuery() != null
          || uri.getRawFragment() != null) {
        return null;
      }
      return of(uri);
    }

    /**
     * The origin of {@code uri} (a WebSocket handshake's {@code ws}/{@code wss} counts as HTTP).
     */
    static @Nullable Origin of(URI uri) {
      if (uri.getScheme() == null || uri.getHost() == null) {
        return null;
      }
      String scheme =
          switch (uri.getScheme().toLowerCase(Locale.ROOT)) {
            case "http", "ws" -> "http";
            case "https", "wss" -> "https";
            default -> null;
          };
      if (scheme == null) {
        return null;
      }
      int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
      return new Origin(scheme, uri.getHost().toLowerCase(Locale.ROOT), port);
    }
  }
}
