package herald.transport.websocket;

import herald.config.LimitProperties;
import herald.connection.ClientSessions;
import herald.connection.Heartbeat;
import herald.observability.HeraldMetrics;
import herald.protocol.FrameCodec;
import herald.protocol.JsonFrameCodec;
import herald.protocol.MsgpackFrameCodec;
import herald.proxy.BackendProxy;
import herald.proxy.ClientPublications;
import herald.ratelimit.RateLimits;
import herald.security.TokenVerifier;
import herald.web.ConnectionEndpoints;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.handler.SimpleUrlHandlerMapping;
import org.springframework.web.reactive.socket.server.WebSocketService;
import org.springframework.web.reactive.socket.server.support.HandshakeWebSocketService;
import org.springframework.web.reactive.socket.server.support.WebSocketHandlerAdapter;
import org.springframework.web.reactive.socket.server.upgrade.ReactorNettyRequestUpgradeStrategy;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.server.WebsocketServerSpec;
import tools.jackson.databind.json.JsonMapper;

/** Maps {@code /ws} to the WebSocket handler, with frame size and compression from settings. */
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
  HandlerMapping webSocketMapping(
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
    var handler =
        new HeraldWebSocketHandler(
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
            backend);
    return new SimpleUrlHandlerMapping(
        Map.of(ConnectionEndpoints.WEBSOCKET, handler), Ordered.HIGHEST_PRECEDENCE);
  }

  @Bean
  Heartbeat<WebSocketConnection> webSocketHeartbeat(WebSocketProperties properties) {
    Duration timeout = properties.pingTimeout();
    return new Heartbeat<>(
        properties.pingInterval(),
        Schedulers.parallel(),
        connection -> connection.heartbeat(timeout));
  }

  @Bean
  WebSocketHandlerAdapter webSocketHandlerAdapter(WebSocketService service) {
    return new WebSocketHandlerAdapter(service);
  }

  @Bean
  WebSocketService webSocketService(LimitProperties limits, WebSocketProperties properties) {
    int maxFrame = (int) Math.min(Integer.MAX_VALUE, limits.maxMessageSize().toBytes());
    var strategy =
        new ReactorNettyRequestUpgradeStrategy(
            () ->
                WebsocketServerSpec.builder()
                    .maxFramePayloadLength(maxFrame)
                    // Not Reactor Netty's compression: its inflater has no limit.
                    .compress(false)
                    .handlePing(false));
    return new HandshakeWebSocketService(
        new ConnectionExposingUpgradeStrategy(
            strategy, properties.permessageDeflate() ? new PermessageDeflate(maxFrame) : null));
  }
}
