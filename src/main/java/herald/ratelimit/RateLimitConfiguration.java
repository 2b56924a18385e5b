package herald.ratelimit;

import herald.observability.HeraldMetrics;
import herald.web.ClientAddress;
import herald.web.ErrorResponses;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The node's rate limits, its caps on open connections and the handshake filter that applies them.
 */
@Configuration(proxyBeanMethods = false)
class RateLimitConfiguration {

  @Bean
  RateLimits rateLimits(RateLimitProperties properties, HeraldMetrics metrics) {
    return new RateLimits(properties, metrics);
  }

  @Bean
  ConnectionSlots connectionSlots(ConnectionCapProperties properties) {
    return new ConnectionSlots(properties);
  }

  @Bean
  ConnectionAdmissionFilter connectionAdmissionFilter(
      RateLimits limits, ConnectionSlots slots, ClientAddress addresses, ErrorResponses errors) {
    return new ConnectionAdmissionFilter(limits, slots, addresses, errors);
  }
}
