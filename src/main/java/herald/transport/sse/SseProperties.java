package herald.transport.sse;

import jakarta.validation.constraints.Positive;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * SSE settings ({@code herald.sse.*}).
 *
 * @param retry the reconnection delay sent to clients in the {@code retry:} field
 * @param heartbeat how often a {@code : ping} comment keeps proxies from closing an idle stream
 * @param maxChannels most channels one SSE request may name
 */
@Validated
@ConfigurationProperties("herald.sse")
public record SseProperties(
    @DefaultValue("3s") Duration retry,
    @DefaultValue("15s") Duration heartbeat,
    @DefaultValue("16") @Positive int maxChannels) {}
