package herald.warmup;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.PositiveOrZero;
import java.time.Duration;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * How a node warms itself up before readiness ({@code herald.warm-up.*}, README "Warm-up").
 *
 * @param connections connections the node opens to itself, one in ten of them SSE streams and the
 *     rest WebSocket ({@code HERALD_WARM_UP_CONNECTIONS}); 0 turns the warm-up off
 * @param publications publications fanned out to every warm-up connection
 * @param timeout the longest the warm-up may hold readiness back; past it the node is ready anyway,
 *     since a warm-up only makes a node faster and must never keep it out of service
 */
@Validated
@ConfigurationProperties("herald.warm-up")
public record WarmUpProperties(
    @DefaultValue("1000") @PositiveOrZero @Max(10_000) int connections,
    @DefaultValue("50") @PositiveOrZero @Max(1_000) int publications,
    @DefaultValue("30s")
        @DurationMin(seconds = 1, message = "must be at least 1 second")
        @DurationMax(minutes = 5, message = "must be at most 5 minutes")
        Duration timeout) {

  boolean enabled() {
    return connections > 0;
  }
}
