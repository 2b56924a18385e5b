package herald.engine;

import herald.channel.StreamPosition;
import herald.config.LimitProperties;
import org.jspecify.annotations.Nullable;

/**
 * Which part of a channel's history to read.
 *
 * @param since the last position the reader has; {@code null} reads from the oldest retained
 * @param limit the most publications to return; {@link #ALL} for every one retained, 0 for none
 * @param maxBytes about the most bytes of publications to return, as stored (data plus a few dozen
 *     bytes of offset, epoch and time); the first publication is returned whatever its size, so
 *     that a reader always moves on; {@link #UNBOUNDED} for no bound
 */
public record HistoryQuery(@Nullable StreamPosition since, int limit, long maxBytes) {

  /** No limit beyond what the history retains. */
  public static final int ALL = Integer.MAX_VALUE;

  /** No bound on the bytes returned. */
  public static final long UNBOUNDED = Long.MAX_VALUE;

  public HistoryQuery {
    if (limit < 0) {
      throw new IllegalArgumentException("limit must not be negative");
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be positive");
    }
  }

  /** At most {@code limit} publications after {@code since}, with no bound on their bytes. */
  public HistoryQuery(@Nullable StreamPosition since, int limit) {
    this(since, limit, UNBOUNDED);
  }

  /** Only the channel's current position, no publications. */
  public static HistoryQuery positionOnly() {
    return new HistoryQuery(null, 0);
  }

  /** Everything after {@code since} that the history still holds. */
  public static HistoryQuery after(StreamPosition since) {
    return new HistoryQuery(since, ALL);
  }

  /**
   * The read a client's or backend's {@code history} request makes: {@code limit} defaults to
   * {@code herald.limits.history-limit} and is capped at {@code max-history-limit} (a reader that
   * asked for more sees the reply's {@code offset} beyond its last publication and reads on from
   * there), and the publications returned stop at about {@code max-reply-size} bytes.
   */
  public static HistoryQuery requested(
      @Nullable StreamPosition since, @Nullable Integer limit, LimitProperties limits) {
    int asked = limit == null ? limits.historyLimit() : limit;
    return new HistoryQuery(
        since, Math.min(asked, limits.maxHistoryLimit()), limits.maxReplySize().toBytes());
  }
}
