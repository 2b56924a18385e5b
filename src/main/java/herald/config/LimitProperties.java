package herald.config;

import jakarta.validation.constraints.Positive;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Per-connection limits ({@code herald.limits.*}).
 *
 * @param maxMessageSize largest inbound frame or published {@code data}
 * @param maxChannelsPerConnection most channels one connection may subscribe to
 * @param maxConnectionsPerUser most connections one user may hold on this node
 * @param outboundQueue most messages waiting to be written to one connection before it is closed as
 *     a slow consumer
 */
@Validated
@ConfigurationProperties("herald.limits")
public record LimitProperties(
    @DefaultValue("64KB") DataSize maxMessageSize,
    @DefaultValue("128") @Positive int maxChannelsPerConnection,
    @DefaultValue("100") @Positive int maxConnectionsPerUser,
    @DefaultValue("1000") @Positive int outboundQueue) {}
