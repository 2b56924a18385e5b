package herald.lifecycle;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import org.hibernate.validator.constraints.time.DurationMax;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.convert.DurationUnit;
import org.springframework.validation.annotation.Validated;

/**
 * How a node drains when it stops ({@code herald.drain.*}).
 *
 * @param window how long the node takes to tell every client to reconnect ({@code
 *     HERALD_DRAIN_WINDOW}); the disconnects are spread uniformly over it so that the other nodes
 *     are not hit by every client at once. A bare number is seconds (a window of milliseconds would
 *     be a thundering herd); zero tells every client at once. The process exits a few seconds after
 *     it (README, "Drain and shutdown"), so Kubernetes' grace period must be longer
 */
@Validated
@ConfigurationProperties("herald.drain")
public record DrainProperties(
    @DefaultValue("10s")
        @DurationUnit(ChronoUnit.SECONDS)
        @DurationMin(seconds = 0, message = "must not be negative")
        @DurationMax(minutes = 10, message = "must be at most 10 minutes")
        Duration window) {}
