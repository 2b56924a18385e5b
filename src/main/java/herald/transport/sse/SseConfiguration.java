package herald.transport.sse;

import herald.config.LimitProperties;
import herald.connection.ClientSessions;
import herald.security.ChannelPermissions;
import herald.security.TokenVerifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/** Routes {@code GET /sse}. */
@Configuration(proxyBeanMethods = false)
class SseConfiguration {

  @Bean(destroyMethod = "dispose")
  SseHeartbeat sseHeartbeat(SseProperties properties) {
    return new SseHeartbeat(properties.heartbeat(), Schedulers.parallel());
  }

  @Bean
  RouterFunction<ServerResponse> sseRoutes(
      ClientSessions sessions,
      ChannelPermissions permissions,
      TokenVerifier tokens,
      JsonMapper json,
      LimitProperties limits,
      SseProperties properties,
      SseHeartbeat heartbeat) {
    SseHandler handler =
        new SseHandler(
            sessions,
            permissions,
            tokens,
            json,
            limits,
            properties,
            Schedulers.parallel(),
            heartbeat);
    return RouterFunctions.route().GET("/sse", handler::stream).build();
  }
}
