package herald.observability;

import herald.connection.ClientSessions;
import herald.engine.Engine;
import herald.registry.ChannelRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationPredicate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Health contributions (the readiness group includes the engine, application.yml), Herald's
 * metrics, and which requests are observed.
 */
@Configuration(proxyBeanMethods = false)
class ObservabilityConfiguration {

  @Bean
  EngineHealthIndicator engineHealthIndicator(Engine engine) {
    return new EngineHealthIndicator(engine);
  }

  @Bean
  HeraldMetrics heraldMetrics(
      MeterRegistry registry, ClientSessions sessions, ChannelRegistry channels) {
    HeraldMetrics metrics = new HeraldMetrics(registry);
    metrics.bind(registry, sessions, channels);
    return metrics;
  }

  @Bean
  ObservationPredicate longLivedRequests() {
    return new LongLivedRequests();
  }
}
