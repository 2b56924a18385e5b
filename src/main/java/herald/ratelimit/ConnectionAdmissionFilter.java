package herald.ratelimit;

import herald.protocol.HeraldException;
import herald.web.ClientAddress;
import herald.web.ConnectionEndpoints;
import herald.web.ErrorResponses;
import org.springframework.core.Ordered;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.HttpInfos;

/**
 * Admits new SSE and WebSocket connections, before anything else is done for them: the client IP's
 * rate of new connections (429 with {@code Retry-After}), then the caps on open connections per IP
 * (429) and on the node (503), both with {@code Retry-After}. A WebSocket handshake over a cap is
 * refused with that status, before the upgrade.
 *
 * <p>Requests are matched as the router matches them ({@link ConnectionEndpoints}), so no spelling
 * of the paths reaches a handler without passing here. An SSE stream holds its slot for as long as
 * its response lasts; an upgraded WebSocket for as long as its TCP connection is open.
 */
final class ConnectionAdmissionFilter implements WebFilter, Ordered {

  /** Ahead of Spring Security, so refused handshakes cost no token verification. */
  static final int ORDER = -200;

  private final RateLimits limits;
  private final ConnectionSlots slots;
  private final ClientAddress addresses;
  private final ErrorResponses errors;

  ConnectionAdmissionFilter(
      RateLimits limits, ConnectionSlots slots, ClientAddress addresses, ErrorResponses errors) {
    this.limits = limits;
    this.slots = slots;
    this.addresses = addresses;
    this.errors = errors;
  }

  @Override
  public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
    ServerHttpRequest request = exchange.getRequest();
    if (!ConnectionEndpoints.matches(request)) {
      return chain.filter(exchange);
    }
    ConnectionSlots.Slot slot;
    try {
      String clientIp = addresses.of(request);
      limits.acquireConnection(clientIp);
      slot = slots.take(clientIp);
    } catch (HeraldException refused) {
      return errors.write(
          exchange.getResponse(), refused.code(), refused.getMessage(), refused.retryAfter());
    }
    return chain.filter(exchange).doFinally(signal -> releaseWhenDone(request, slot));
  }

  /**
   * Frees the slot when the exchange is over: at once for an SSE stream (its response is the
   * connection) or a refused request; for an upgraded WebSocket, whose exchange ends with the
   * handshake, when its TCP connection closes.
   */
  private static void releaseWhenDone(ServerHttpRequest request, ConnectionSlots.Slot slot) {
    Object nativeRequest = nativeRequest(request);
    if (nativeRequest instanceof HttpInfos http
        && http.isWebsocket()
        && nativeRequest instanceof Connection connection) {
      connection.channel().closeFuture().addListener(closed -> slot.release());
    } else {
      slot.release();
    }
  }

  private static Object nativeRequest(ServerHttpRequest request) {
    try {
      return ServerHttpRequestDecorator.getNativeRequest(request);
    } catch (IllegalArgumentException notNetty) {
      return request;
    }
  }

  @Override
  public int getOrder() {
    return ORDER;
  }
}
