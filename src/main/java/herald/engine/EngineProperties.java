package herald.engine;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Engine settings ({@code herald.engine.*}).
 *
 * @param sweepInterval how often the in-memory engine releases channels with nothing left to keep
 */
@ConfigurationProperties("herald.engine")
public record EngineProperties(@DefaultValue("10s") Duration sweepInterval) {}
