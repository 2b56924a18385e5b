package herald.security;

import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;

/**
 * Where a client's token is: {@code Authorization: Bearer} or, because browsers cannot set headers
 * on EventSource and WebSocket, the {@code token} query parameter.
 */
public final class BearerTokens {

  static final String QUERY_PARAMETER = "token";
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
    String query = request.getQueryParams().getFirst(QUERY_PARAMETER);
    return query == null ? null : nonEmpty(query.trim());
  }

  private static String nonEmpty(String token) {
    return token.isEmpty() ? EMPTY : token;
  }
}
