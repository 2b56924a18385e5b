package herald.registry;

import herald.config.LimitProperties;
import herald.engine.Engine;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The node's one channel registry. */
@Configuration(proxyBeanMethods = false)
class RegistryConfiguration {

  @Bean
  ChannelRegistry channelRegistry(Engine engine, LimitProperties limits) {
    return new ChannelRegistry(engine, limits.outboundQueue());
  }
}
