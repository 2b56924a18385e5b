package herald.web;

import org.springframework.http.server.PathContainer;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * The paths of the client endpoints, {@code /sse} and {@code /ws}, and the one way to tell whether
 * a request goes to one of them.
 *
 * <p>The router and the handler mapping match a path after decoding each segment and dropping its
 * matrix parameters ({@link PathPattern}), so {@code /s%73e} and {@code /ws;x} reach the handlers
 * as {@code /sse} and {@code /ws} do. Whatever guards the endpoints must match the same way, with
 * the same parser, or such spellings walk around it.
 */
public final class ConnectionEndpoints {

  /** {@code GET /sse}. */
  public static final String SSE = "/sse";

  /** {@code GET /ws}. */
  public static final String WEBSOCKET = "/ws";

  private static final PathPattern SSE_PATTERN = PathPatternParser.defaultInstance.parse(SSE);
  private static final PathPattern WEBSOCKET_PATTERN =
      PathPatternParser.defaultInstance.parse(WEBSOCKET);

  private ConnectionEndpoints() {}

  /**
   * Whether a request for {@code rawPath} (the request target without its query, as sent) goes to
   * {@code /ws}: how the WebSocket endpoint, served ahead of WebFlux, picks its requests.
   */
  public static boolean isWebSocket(String rawPath) {
    return WEBSOCKET_PATTERN.matches(PathContainer.parsePath(rawPath));
  }

  /** Whether {@code request} goes to {@code /sse} or {@code /ws}, as the router would see it. */
  public static boolean matches(ServerHttpRequest request) {
    PathContainer path = request.getPath().pathWithinApplication();
    return SSE_PATTERN.matches(path) || WEBSOCKET_PATTERN.matches(path);
  }
}
