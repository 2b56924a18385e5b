package herald.channel;

import java.time.Duration;

/**
 * What a channel's namespace allows and keeps.
 *
 * @param historySize how many publications are kept for recovery; 0 keeps none
 * @param historyTtl how long a publication stays in history
 * @param presence whether presence is tracked
 * @param joinLeave whether subscribers receive join and leave pushes
 * @param clientPublish whether clients (not only backends) may publish
 * @param anonymous whether connections without a token may subscribe
 */
public record ChannelOptions(
    int historySize,
    Duration historyTtl,
    boolean presence,
    boolean joinLeave,
    boolean clientPublish,
    boolean anonymous) {

  /** The options of a channel in no configured namespace. */
  public static final ChannelOptions DEFAULTS =
      new ChannelOptions(100, Duration.ofMinutes(5), true, false, false, false);
}
