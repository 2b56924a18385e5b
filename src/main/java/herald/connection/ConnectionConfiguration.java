package herald.connection;

import herald.config.LimitProperties;
import herald.engine.Backplane;
import herald.engine.Engine;
import herald.registry.ChannelRegistry;
import herald.security.ChannelPermissions;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The node's connection directory. */
@Configuration(proxyBeanMethods = false)
class ConnectionConfiguration {

  @Bean
  ClientSessions clientSessions(
      @Qualifier("nodeName") String nodeName,
      Engine engine,
      ChannelRegistry registry,
      ChannelPermissions permissions,
      LimitProperties limits,
      Backplane backplane) {
    return new ClientSessions(nodeName, engine, registry, permissions, limits, backplane);
  }
}
