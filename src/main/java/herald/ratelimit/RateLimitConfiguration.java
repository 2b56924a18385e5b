package herald.ratelimit;

import herald.observability.HeraldMetrics;
import herald.warmup.WarmUpPass;
import herald.web.ClientAddress;
import herald.web.ErrorResponses;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The node's rate limits, its caps on open connections and the SSE filter that applies them (the
 * WebSocket endpoint applies them itself).
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
  ConnectionAdmission connectionAdmission(RateLimits limits, ConnectionSlots slots) {
    return new ConnectionAdmission(limits, slots);
  }

  @Bean
  ConnectionAdmissionFilter connectionAdmissionFilter(
      ConnectionAdmission admission,
      WarmUpPass warmUp,
      ClientAddress addresses,
      ErrorResponses errors) {
    return new ConnectionAdmissionFilter(admission, warmUp, addresses, errors);
  }
}
