package herald.engine.memory;

import herald.channel.ChannelOptionsResolver;
import herald.engine.Backplane;
import herald.engine.Engine;
import herald.engine.EngineProperties;
import java.time.Clock;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.scheduler.Schedulers;

/** The in-memory engine: the default, when no Redis URL is configured. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression(
    "!T(org.springframework.util.StringUtils)"
        + ".hasText(environment.getProperty('herald.redis.url'))")
class InMemoryEngineConfiguration {

  @Bean(destroyMethod = "close")
  Engine engine(ChannelOptionsResolver options, Clock clock, EngineProperties properties) {
    return new InMemoryEngine(
        options,
        clock,
        properties.sweepInterval(),
        Schedulers.parallel(),
        properties.idempotencyKeys());
  }

  @Bean
  Backplane backplane(Clock clock) {
    return new InMemoryBackplane(clock);
  }
}
