package herald.engine;

import herald.config.LimitProperties;
import org.jspecify.annotations.Nullable;

/**
 * Which page of a channel's presence to read. Entries come in the order of their connection ids, so
 * a page starts right after the last id of the one before.
 *
 * @param after the cursor of the previous page (the last connection id it held); {@code null} for
 *     the first page
 * @param limit the most entries to return
 */
public record PresenceQuery(@Nullable String after, int limit) {

  public PresenceQuery {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive");
    }
  }

  /**
   * The read a client's or backend's {@code presence} request makes: at most {@code
   * herald.limits.presence-limit} entries, fewer when {@code limit} asks for fewer, after {@code
   * cursor}.
   */
  public static PresenceQuery requested(
      @Nullable String cursor, @Nullable Integer limit, LimitProperties limits) {
    int asked = limit == null || limit < 1 ? limits.presenceLimit() : limit;
    return new PresenceQuery(cursor, Math.min(asked, limits.presenceLimit()));
  }
}
