package herald.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.HeraldApplication;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;

/** A bad setting stops start-up with a message that names it. */
class ConfigurationValidationTests {

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "herald.auth.hmac-secret=too-short | herald.auth.hmac-secret",
        "herald.limits.max-channels-per-connection=0 | herald.limits",
        "herald.limits.max-message-size=lots | herald.limits.max-message-size",
        "herald.limits.outbound-queue-bytes=0 | herald.limits.outbound-queue-bytes",
        "herald.limits.history-limit=2000 | herald.limits.max-history-limit",
        "herald.sse.heartbeat=often | herald.sse.heartbeat",
        "herald.namespaces.chat.history-size=-1 | herald.namespaces",
        "herald.websocket.ping-interval=x | herald.websocket.ping-interval",
        "herald.redis.url=http://127.0.0.1:6379 | herald.redis.url",
        "herald.redis.url=redis-sentinel://127.0.0.1:26379 | herald.redis.url",
        "herald.redis.max-commands-in-flight=0 | herald.redis.max-commands-in-flight",
        "herald.redis.max-queued-commands=-5 | herald.redis.max-queued-commands",
        "herald.api.idempotency-window=0s | herald.api.idempotency-window",
        "herald.api.idempotency-window=soon | herald.api.idempotency-window",
        "herald.engine.idempotency-keys=0 | herald.engine"
      })
  void aBadSettingStopsStartUpNamingIt(String setting, String named) {
    SpringApplicationBuilder app =
        new SpringApplicationBuilder(HeraldApplication.class)
            .web(WebApplicationType.REACTIVE)
            // What ./mvnw spring-boot:run asks for, so only the setting under test is wrong.
            .properties("server.port=0", "herald.auth.insecure-when-unconfigured=true");
    assertThatThrownBy(() -> app.run("--" + setting)).hasStackTraceContaining(named);
  }
}
