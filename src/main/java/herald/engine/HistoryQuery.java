package herald.engine;

import herald.channel.StreamPosition;
import org.jspecify.annotations.Nullable;

/**
 * Which part of a channel's history to read.
 *
 * @param since the last position the reader has; {@code null} reads from the oldest retained
 * @param limit the most publications to return; {@link #ALL} for every one retained, 0 for none
 */
public record HistoryQuery(@Nullable StreamPosition since, int limit) {

  /** No limit beyond what the history retains. */
  public static final int ALL = Integer.MAX_VALUE;

  public HistoryQuery {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative");
    }
  }

  /** Only the channel's current position, no publications. */
  public static HistoryQuery positionOnly() {
    return new HistoryQuery(null, 0);
  }

  /** Everything after {@code since} that the history still holds. */
  public static HistoryQuery after(StreamPosition since) {
    return new HistoryQuery(since, ALL);
  }
}
