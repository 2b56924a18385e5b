package herald.engine.redis;

import herald.channel.ChannelOptionsResolver;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.json.JsonMapper;

/** The Redis engine, when {@code herald.redis.url} is set. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression(RedisEngineConfiguration.REDIS_URL_SET)
class RedisEngineConfiguration {

  /** Whether {@code herald.redis.url} has text; the in-memory engine runs when it has not. */
  static final String REDIS_URL_SET =
      "T(org.springframework.util.StringUtils).hasText(environment.getProperty('herald.redis.url'))";

  @Bean(destroyMethod = "close")
  RedisEngine engine(RedisProperties properties, ChannelOptionsResolver options, JsonMapper json) {
    return new RedisEngine(properties, options, json);
  }

  /** Engine state, circuit breakers and the command queue as {@code herald_redis_*} meters. */
  @Bean
  RedisEngineMetrics redisEngineMetrics(RedisEngine engine) {
    return new RedisEngineMetrics(engine);
  }

  /** The node directory and control bus on the engine's Redis connection. */
  @Bean(destroyMethod = "close")
  RedisBackplane backplane(RedisEngine engine) {
    return new RedisBackplane(engine.connector());
  }
}
