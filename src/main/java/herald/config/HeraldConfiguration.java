package herald.config;

import herald.web.ClientAddress;
import herald.web.ErrorResponses;
import herald.web.HeraldErrorHandler;
import herald.web.ProxyProperties;
import java.time.Clock;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.json.JsonMapper;

/** Application-wide pieces: the clock, the node's name and the HTTP error shape. */
@Configuration(proxyBeanMethods = false)
class HeraldConfiguration {

  @Bean
  Clock clock() {
    return Clock.systemUTC();
  }

  @Bean
  @Qualifier("nodeName")
  String nodeName(NodeProperties node) {
    return node.resolvedName();
  }

  @Bean
  ErrorResponses errorResponses(JsonMapper json) {
    return new ErrorResponses(json);
  }

  /**
   * Reads a JSON tree once with the application's mapper, which the Redis engine, cluster control
   * and backend calls read trees with on Netty and Lettuce threads: a mapper finds its tree
   * deserializer at its first read, under a lock, and those threads would otherwise wait on each
   * other for it when a node's first messages arrive together.
   */
  @Bean
  SmartInitializingSingleton jsonTreeReady(JsonMapper json) {
    return () -> json.readTree("{}");
  }

  @Bean
  ClientAddress clientAddress(ProxyProperties proxy) {
    return new ClientAddress(proxy);
  }

  @Bean
  HeraldErrorHandler heraldErrorHandler(ErrorResponses errors) {
    return new HeraldErrorHandler(errors);
  }
}
