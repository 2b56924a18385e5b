package herald.security;

import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;

/**
 * Where a client's token is: {@code Authorization: Bearer} or, because browsers cannot set headers
 * on EventSource and WebSocket, the {@code token} query parameter of {@code /sse} and {@code /ws}
 * only. Anywhere else a token in a URL would only end up in access logs and browser history.
 */
public final class BearerTokens {

  static final String QUERY_PARAMETER = "token";

  /** The paths of EventSource and WebSocket, whose clients cannot send the header. */
  private static final Set<String> QUERY_TOKEN_PATHS = Set.of("/sse", "/ws");

  private static final String BEARER = "bearer ";

  /** What an empty token becomes: a bad token, not a missing one, so the decoder refuses it. */
  private static final String EMPTY = "-";

  private BearerTokens() {}

  /** The request's token, or {@code null} when it carries none. */
  public static @Nullable String of(ServerHttpRequest request) {
    String header = request.getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
    if (header != null && header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return nonEmpty(header.substring(BEARER.length()).trim());
    }
    if (!QUERY_TOKEN_PATHS.contains(request.getPath().pathWithinApplication().value())) {
      return null;
    }
    String query = request.getQueryParams().getFirst(QUERY_PARAMETER);
    return query == null ? null : nonEmpty(query.trim());
  }

  private static String nonEmpty(String token) {
    return token.isEmpty() ? EMPTY : token;
  }
}
