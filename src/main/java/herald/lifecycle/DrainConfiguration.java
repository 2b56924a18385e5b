package herald.lifecycle;

import herald.connection.ClientSessions;
import herald.web.ErrorResponses;
import java.time.Duration;
import java.util.Random;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.support.DefaultLifecycleProcessor;
import reactor.core.scheduler.Schedulers;

/** The drain on shutdown and the filter that refuses new connections while it runs. */
@Configuration(proxyBeanMethods = false)
class DrainConfiguration {

  /**
   * How much longer than the window Spring waits for the drain before it goes on regardless. The
   * drain ends on its own a tick after the window; this only bounds a drain that never calls back.
   */
  static final Duration DRAIN_PHASE_MARGIN = Duration.ofSeconds(5);

  @Bean
  DrainCoordinator drainCoordinator(
      ClientSessions sessions, ApplicationEventPublisher events, DrainProperties properties) {
    return new DrainCoordinator(sessions, events, properties, Schedulers.parallel(), new Random());
  }

  @Bean
  DrainingFilter drainingFilter(DrainCoordinator drain, ErrorResponses errors) {
    return new DrainingFilter(drain, errors);
  }

  /**
   * Gives the drain's phase its own shutdown timeout: the window plus a margin. Every other phase
   * keeps {@code spring.lifecycle.timeout-per-shutdown-phase} (application.yml), which bounds the
   * web server's wait for the connections the drain ended; the default 30 s would be too long for
   * one and too short for a long window.
   */
  @Bean
  static BeanPostProcessor drainPhaseTimeout(ObjectProvider<DrainProperties> properties) {
    return new BeanPostProcessor() {
      @Override
      public Object postProcessBeforeInitialization(Object bean, String name) {
        if (bean instanceof DefaultLifecycleProcessor processor) {
          Duration timeout =
              properties.getObject().window().plus(DrainCoordinator.TICK).plus(DRAIN_PHASE_MARGIN);
          processor.setTimeoutForShutdownPhase(DrainCoordinator.PHASE, timeout.toMillis());
        }
        return bean;
      }
    };
  }
}
