package herald.engine.memory;

import herald.channel.ChannelName;
import herald.channel.StreamPosition;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The in-memory engine's recent idempotency keys and the positions of their first publications,
 * oldest first, bounded by count: past {@code maxKeys} the oldest key is forgotten before its
 * window ends (README, {@code herald.engine.idempotency-keys}). Insertion order is expiry order as
 * long as the window does not change, so expired keys are dropped from the head.
 *
 * <p>Callers hold the channel's monitor around {@link #first} and {@link #remember}, which makes
 * check-then-publish atomic per channel; the map itself is guarded by this object.
 */
final class IdempotencyKeys {

  private record Key(ChannelName channel, String key) {}

  private record First(StreamPosition position, long expiresAt) {}

  private final int maxKeys;
  private final LinkedHashMap<Key, First> keys = new LinkedHashMap<>();

  IdempotencyKeys(int maxKeys) {
    this.maxKeys = maxKeys;
  }

  /** The first publication's position for {@code key} on {@code channel}, unless expired. */
  synchronized @Nullable StreamPosition first(ChannelName channel, String key, long now) {
    dropExpired(now);
    First first = keys.get(new Key(channel, key));
    return first == null || first.expiresAt() <= now ? null : first.position();
  }

  synchronized void remember(
      ChannelName channel, String key, StreamPosition position, long expiresAt) {
    keys.remove(new Key(channel, key)); // an expired entry comes back at the end
    keys.put(new Key(channel, key), new First(position, expiresAt));
    if (keys.size() > maxKeys) {
      Iterator<Map.Entry<Key, First>> oldest = keys.entrySet().iterator();
      oldest.next();
      oldest.remove();
    }
  }

  synchronized int size() {
    return keys.size();
  }

  private void dropExpired(long now) {
    Iterator<First> oldest = keys.values().iterator();
    while (oldest.hasNext() && oldest.next().expiresAt() <= now) {
      oldest.remove();
    }
  }
}
