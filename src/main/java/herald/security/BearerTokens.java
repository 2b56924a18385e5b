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

  public static final String QUERY_PARAMETER = "token";

  /** The paths of EventSource and WebSocket, whose clients cannot send the header. */
  private static final Set<String> QUERY_TOKEN_PATHS = Set.of("/sse", "/ws");

  private static final String BEARER = "bearer ";

  /** What an empty token becomes: a bad token, not a missing one, so the decoder refuses it. */
  private static final String EMPTY = "-";

  private BearerTokens() {}

  /** The request's token, or {@code null} when it carries none. */
  public static @Nullable String of(ServerHttpRequest request) {
    String authorization = request.getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
    boolean queryAllowed =
        QUERY_TOKEN_PATHS.contains(request.getPath().pathWithinApplication().value());
    return ofHandshake(
        authorization, queryAllowed ? request.getQueryParams().getFirst(QUERY_PARAMETER) : null);
  }

  /**
   * The token of a request's {@code Authorization} header and {@code token} query parameter
   * (decoded), or {@code null}: what the WebSocket handshake, which Reactor Netty serves without
   * WebFlux, reads.
   */
  public static @Nullable String ofHandshake(
      @Nullable String authorization, @Nullable String queryToken) {
    if (authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return nonEmpty(authorization.substring(BEARER.length()).trim());
    }
    return queryToken == null ? null : nonEmpty(queryToken.trim());
  }

  private static String nonEmpty(String token) {
    return token.isEmpty() ? EMPTY : token;
  }
}
