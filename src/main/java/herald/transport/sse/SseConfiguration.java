package herald.transport.sse;

import herald.config.LimitProperties;
import herald.connection.ClientSessions;
import herald.connection.Heartbeat;
import herald.engine.Engine;
import herald.observability.HeraldMetrics;
import herald.protocol.JsonFrameCodec;
import herald.proxy.BackendProxy;
import herald.proxy.ClientPublications;
import herald.ratelimit.RateLimits;
import herald.security.ChannelPermissions;
import herald.security.TokenVerifier;
import herald.web.ClientAddress;
import herald.web.ConnectionEndpoints;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/** Routes {@code GET /sse} and {@code POST /sse/commands}. */
@Configuration(proxyBeanMethods = false)
class SseConfiguration {

  @Bean
  Heartbeat<SseConnection> sseHeartbeat(SseProperties properties) {
    return new Heartbeat<>(properties.heartbeat(), Schedulers.parallel(), SseConnection::ping);
  }

  @Bean
  RouterFunction<ServerResponse> sseRoutes(
      ClientSessions sessions,
      ChannelPermissions permissions,
      TokenVerifier tokens,
      JsonMapper json,
      LimitProperties limits,
      SseProperties properties,
      Heartbeat<SseConnection> heartbeat,
      HeraldMetrics metrics,
      JsonFrameCodec codec,
      Engine engine,
      RateLimits rateLimits,
      ClientAddress addresses,
      ClientPublications publications,
      BackendProxy backend) {
    SseHandler handler =
        new SseHandler(
            sessions,
            permissions,
            tokens,
            json,
            limits,
            properties,
            Schedulers.parallel(),
            heartbeat,
            metrics);
    SseCommandHandler commands =
        new SseCommandHandler(
            codec,
            tokens,
            permissions,
            engine,
            rateLimits,
            addresses,
            json,
            limits,
            metrics,
            publications,
            backend);
    return RouterFunctions.route()
        .GET(ConnectionEndpoints.SSE, handler::stream)
        .POST("/sse/commands", commands::command)
        .build();
  }
}
