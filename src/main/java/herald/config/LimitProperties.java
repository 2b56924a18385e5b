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
 * @param outboundQueueBytes most bytes (encoded frames or events) waiting to be written to one
 *     connection before it is closed as a slow consumer; one item larger than this still goes out
 *     when nothing else waits
 * @param historyLimit publications a {@code history} read returns when it names no {@code limit}
 * @param maxHistoryLimit the largest {@code limit} a {@code history} read may ask for
 * @param maxReplySize about the most bytes of publications or presence entries one {@code history}
 *     or {@code presence} reply holds; the rest is one more request away (README "Limits and
 *     protection")
 * @param presenceLimit most presence entries one {@code presence} reply holds
 */
@Validated
@ConfigurationProperties("herald.limits")
public record LimitProperties(
    @DefaultValue("64KB") DataSize maxMessageSize,
    @DefaultValue("128") @Positive int maxChannelsPerConnection,
    @DefaultValue("100") @Positive int maxConnectionsPerUser,
    @DefaultValue("1000") @Positive int outboundQueue,
    @DefaultValue("4MB") DataSize outboundQueueBytes,
    @DefaultValue("100") @Positive int historyLimit,
    @DefaultValue("1000") @Positive int maxHistoryLimit,
    @DefaultValue("1MB") DataSize maxReplySize,
    @DefaultValue("1000") @Positive int presenceLimit) {

  public LimitProperties {
    requirePositive(outboundQueueBytes, "herald.limits.outbound-queue-bytes");
    requirePositive(maxReplySize, "herald.limits.max-reply-size");
    if (historyLimit > maxHistoryLimit) {
      throw new IllegalArgumentException(
          "herald.limits.history-limit must not exceed herald.limits.max-history-limit");
    }
  }

  /** These four limits, with the defaults for the rest. */
  public static LimitProperties of(
      DataSize maxMessageSize,
      int maxChannelsPerConnection,
      int maxConnectionsPerUser,
      int outboundQueue) {
    return new LimitProperties(
        maxMessageSize,
        maxChannelsPerConnection,
        maxConnectionsPerUser,
        outboundQueue,
        DataSize.ofMegabytes(4),
        100,
        1000,
        DataSize.ofMegabytes(1),
        1000);
  }

  private static void requirePositive(DataSize size, String name) {
    if (size.toBytes() <= 0) {
      throw new IllegalArgumentException(name + " must be positive");
    }
  }
}
