package herald.transport.websocket;

import herald.config.LimitProperties;
import herald.connection.ClientSessions;
import herald.connection.Heartbeat;
import herald.lifecycle.DrainCoordinator;
import herald.observability.HeraldMetrics;
import herald.protocol.FrameCodec;
import herald.protocol.JsonFrameCodec;
import herald.protocol.MsgpackFrameCodec;
import herald.proxy.BackendProxy;
import herald.proxy.ClientPublications;
import herald.ratelimit.ConnectionAdmission;
import herald.ratelimit.RateLimits;
import herald.security.OriginPolicy;
import herald.security.TokenVerifier;
import herald.warmup.WarmUpPass;
import herald.web.ClientAddress;
import herald.web.ConnectionEndpoints;
import herald.web.ErrorResponses;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/** Serves {@code /ws} ahead of WebFlux, with frame size and compression from settings. */
@Configuration(proxyBeanMethods = false)
class WebSocketConfiguration {

  @Bean
  JsonFrameCodec jsonFrameCodec() {
    return new JsonFrameCodec();
  }

  @Bean
  MsgpackFrameCodec msgpackFrameCodec() {
    return new MsgpackFrameCodec();
  }

  @Bean
  HeraldWebSocketHandler heraldWebSocketHandler(
      List<FrameCodec> codecs,
      ClientSessions sessions,
      TokenVerifier tokens,
      JsonMapper json,
      LimitProperties limits,
      WebSocketProperties properties,
      Clock clock,
      RateLimits rateLimits,
      Heartbeat<WebSocketConnection> heartbeat,
      HeraldMetrics metrics,
      ClientPublications publications,
      BackendProxy backend) {
    List<FrameCodec> ordered =
        codecs.stream()
            .sorted(
                (a, b) -> a instanceof JsonFrameCodec ? -1 : b instanceof JsonFrameCodec ? 1 : 0)
            .toList();
    return new HeraldWebSocketHandler(
        ordered,
        sessions,
        tokens,
        json,
        limits,
        properties,
        clock,
        Schedulers.parallel(),
        heartbeat,
        rateLimits,
        metrics,
        publications,
        backend,
        maxFramePayloadLength(limits));
  }

  @Bean
  WebSocketEndpoint webSocketEndpoint(
      DrainCoordinator drain,
      ConnectionAdmission admission,
      WarmUpPass warmUp,
      ClientAddress addresses,
      OriginPolicy origins,
      TokenVerifier tokens,
      ErrorResponses errors,
      LimitProperties limits,
      WebSocketProperties properties,
      HeraldWebSocketHandler handler) {
    int maxFrame = maxFramePayloadLength(limits);
    return new WebSocketEndpoint(
        drain,
        admission,
        warmUp,
        addresses,
        origins,
        tokens,
        errors,
        properties.permessageDeflate() ? new PermessageDeflate(maxFrame) : null,
        handler,
        maxFrame);
  }

  /**
   * Serves {@code /ws}, in every spelling the WebFlux router would accept, as a Reactor Netty route
   * ahead of WebFlux: a handshake goes through {@link WebSocketEndpoint} only, and a connection
   * keeps no WebFlux or Spring WebSocket object.
   */
  @Bean
  WebServerFactoryCustomizer<NettyReactiveWebServerFactory> webSocketRoute(
      WebSocketEndpoint endpoint) {
    return factory ->
        factory.addRouteProviders(
            routes ->
                routes.route(
                    request -> ConnectionEndpoints.isWebSocket(rawPath(request.uri())),
                    endpoint::serve));
  }

  /** The path of a request target as sent: without its query, and without scheme and host. */
  static String rawPath(String target) {
    int query = target.indexOf('?');
    String path = query < 0 ? target : target.substring(0, query);
    if (path.startsWith("/")) {
      return path;
    }
    int scheme = path.indexOf("://");
    if (scheme < 0) {
      return path;
    }
    int slash = path.indexOf('/', scheme + 3);
    return slash < 0 ? "/" : path.substring(slash);
  }

  private static int maxFramePayloadLength(LimitProperties limits) {
    return (int) Math.min(Integer.MAX_VALUE, limits.maxMessageSize().toBytes());
  }

  @Bean
  Heartbeat<WebSocketConnection> webSocketHeartbeat(WebSocketProperties properties) {
    Duration timeout = properties.pingTimeout();
    return new Heartbeat<>(
        properties.pingInterval(),
        Schedulers.parallel(),
        connection -> connection.heartbeat(timeout));
  }
}
