package herald.ratelimit;

import herald.observability.HeraldMetrics;
import herald.web.ClientAddress;
import herald.web.ErrorResponses;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The node's rate limits and the handshake filter that applies the per-IP one. */
@Configuration(proxyBeanMethods = false)
class RateLimitConfiguration {

  @Bean
  RateLimits rateLimits(RateLimitProperties properties, HeraldMetrics metrics) {
    return new RateLimits(properties, metrics);
  }

  @Bean
  ConnectionRateLimitFilter connectionRateLimitFilter(
      RateLimits limits, ClientAddress addresses, ErrorResponses errors) {
    return new ConnectionRateLimitFilter(limits, addresses, errors);
  }
}
