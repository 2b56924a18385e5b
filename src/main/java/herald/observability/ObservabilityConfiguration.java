package herald.observability;

import herald.engine.Engine;
import io.micrometer.observation.ObservationPredicate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Health contributions (the readiness group includes the engine, application.yml) and which
 * requests are observed.
 */
@Configuration(proxyBeanMethods = false)
class ObservabilityConfiguration {

  @Bean
  EngineHealthIndicator engineHealthIndicator(Engine engine) {
    return new EngineHealthIndicator(engine);
  }

  @Bean
  ObservationPredicate longLivedRequests() {
    return new LongLivedRequests();
  }
}
