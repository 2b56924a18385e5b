package herald.engine;

import jakarta.validation.constraints.Positive;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Engine settings ({@code herald.engine.*}).
 *
 * @param sweepInterval how often the in-memory engine releases channels with nothing left to keep
 * @param idempotencyKeys how many idempotency keys of backend publishes the in-memory engine
 *     remembers at most (the oldest is forgotten first, even inside its window); the Redis engine
 *     keeps each in Redis for the window instead
 */
@Validated
@ConfigurationProperties("herald.engine")
public record EngineProperties(
    @DefaultValue("10s") Duration sweepInterval,
    @DefaultValue("100000") @Positive int idempotencyKeys) {}
