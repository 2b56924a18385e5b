package herald.warmup;

import herald.engine.Engine;
import herald.security.AuthMode;
import herald.security.AuthProperties;
import java.time.Clock;
import java.util.concurrent.Executor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.http.client.ReactorResourceFactory;

/** The warm-up, the pass that admits its handshakes and its part of readiness. */
@Configuration(proxyBeanMethods = false)
class WarmUpConfiguration {

  @Bean
  WarmUpPass warmUpPass(WarmUpProperties properties) {
    return properties.enabled() ? new WarmUpPass() : WarmUpPass.none();
  }

  @Bean
  SelfWarmUp selfWarmUp(
      WarmUpProperties properties,
      WarmUpPass pass,
      AuthMode mode,
      AuthProperties auth,
      Clock clock,
      Engine engine,
      ReactorResourceFactory serverResources) {
    WarmUpTokens tokens =
        mode == AuthMode.HMAC ? new WarmUpTokens(auth, clock, properties.timeout()) : null;
    // Looked up when the warm-up publishes: the server makes its loops when it starts.
    Executor serverLoop =
        task -> serverResources.getLoopResources().onServer(true).next().execute(task);
    return new SelfWarmUp(properties, pass, tokens, engine, serverLoop);
  }

  @Bean
  WarmUpHealthIndicator warmUpHealthIndicator(SelfWarmUp warmUp) {
    return new WarmUpHealthIndicator(warmUp::status);
  }

  @Bean
  WarmUpStarter warmUpStarter(
      SelfWarmUp warmUp, WarmUpProperties properties, AuthMode mode, Environment environment) {
    return new WarmUpStarter(warmUp, properties, mode, environment);
  }
}
