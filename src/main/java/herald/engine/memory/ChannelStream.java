package herald.engine.memory;

import herald.channel.ChannelName;
import herald.channel.ChannelOptions;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.HistoryPage;
import herald.engine.HistoryQuery;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * One channel's offset sequence and bounded history. Not thread-safe: {@link InMemoryEngine} guards
 * every call with the stream's monitor.
 */
final class ChannelStream {

  /** {@code {"ts":…,"offset":…,"epoch":"","data":}} around the data, with 13-digit times. */
  private static final int STORED_OVERHEAD = 60;

  private final ChannelName channel;
  private final String epoch;
  private final ArrayDeque<Publication> history = new ArrayDeque<>();
  private long offset;
  private boolean released;

  ChannelName channel() {
    return channel;
  }

  ChannelStream(ChannelName channel, String epoch) {
    this.channel = channel;
    this.epoch = epoch;
  }

  /** Assigns the next offset and keeps the publication within the namespace's size and TTL. */
  Publication append(JsonNode data, @Nullable String from, long now, ChannelOptions options) {
    offset++;
    Publication publication = new Publication(channel, offset, epoch, data, now, from);
    history.addLast(publication);
    while (history.size() > options.historySize()) {
      history.removeFirst();
    }
    expire(now, options);
    return publication;
  }

  HistoryPage read(HistoryQuery query, long now, ChannelOptions options) {
    expire(now, options);
    StreamPosition since = query.since();
    boolean recovered = since == null || continues(since);
    long after = since != null && recovered ? since.offset() : 0;
    List<Publication> page = new ArrayList<>(Math.min(query.limit(), history.size()));
    long bytes = 0;
    for (Publication publication : history) {
      if (page.size() >= query.limit()) {
        break;
      }
      if (publication.offset() > after) {
        // Sized as the Redis engine stores it (data plus the offset, epoch and time around it),
        // so both engines cut a page at the same place.
        long size = query.maxBytes() == HistoryQuery.UNBOUNDED ? 0 : storedSize(publication);
        if (!page.isEmpty() && bytes + size > query.maxBytes()) {
          break;
        }
        bytes += size;
        page.add(publication);
      }
    }
    return new HistoryPage(page, new StreamPosition(offset, epoch), recovered);
  }

  /**
   * About the bytes of a publication as the Redis engine stores it: {@code
   * {"ts":…,"offset":…,"epoch":"…","from":"…","data":…}}.
   */
  private static long storedSize(Publication publication) {
    String from = publication.from();
    return STORED_OVERHEAD
        + publication.epoch().length()
        + (from == null ? 0 : from.length() + 10)
        + publication.data().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }

  /** Whether the history holds every publication after {@code since}. */
  private boolean continues(StreamPosition since) {
    if (!since.epoch().equals(epoch) || since.offset() > offset) {
      return false;
    }
    if (since.offset() == offset) {
      return true;
    }
    Publication oldest = history.peekFirst();
    return oldest != null && oldest.offset() <= since.offset() + 1;
  }

  private void expire(long now, ChannelOptions options) {
    long oldestKept = now - options.historyTtl().toMillis();
    Iterator<Publication> it = history.iterator();
    while (it.hasNext() && it.next().ts() <= oldestKept) {
      it.remove();
    }
  }

  /**
   * Marks the stream released if it has nothing left to keep; a released stream is never used
   * again, and its channel gets a new stream with a new epoch.
   */
  boolean releaseIfIdle(long now, ChannelOptions options, boolean inUse) {
    expire(now, options);
    if (!inUse && history.isEmpty()) {
      released = true;
    }
    return released;
  }

  boolean released() {
    return released;
  }
}
