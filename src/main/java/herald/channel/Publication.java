package herald.channel;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * One message published to a channel, with the offset the engine assigned to it.
 *
 * <p>Immutable, except for a cache of its wire encodings: fan-out encodes each publication once per
 * wire format and writes the same bytes to every subscriber. Equality is by channel, epoch and
 * offset, which identify a publication.
 */
public final class Publication {

  private final ChannelName channel;
  private final long offset;
  private final String epoch;
  private final JsonNode data;
  private final long ts;
  private final @Nullable String from;

  // Benign race: two threads may both encode and store equal bytes; either result is correct.
  private final AtomicReferenceArray<Object> encodings =
      new AtomicReferenceArray<>(EncodingKey.MAX_KEYS);

  public Publication(
      ChannelName channel,
      long offset,
      String epoch,
      JsonNode data,
      long ts,
      @Nullable String from) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.offset = offset;
    this.epoch = Objects.requireNonNull(epoch, "epoch");
    this.data = Objects.requireNonNull(data, "data");
    this.ts = ts;
    this.from = from;
  }

  public ChannelName channel() {
    return channel;
  }

  /** Position in the channel's sequence: starts at 1 and grows by exactly 1. */
  public long offset() {
    return offset;
  }

  /** Names the offset sequence; changes when the channel's history is lost. */
  public String epoch() {
    return epoch;
  }

  public JsonNode data() {
    return data;
  }

  /** Milliseconds since the Unix epoch at which the engine accepted the publication. */
  public long ts() {
    return ts;
  }

  /** The publishing user, or {@code null} for backend publications. */
  public @Nullable String from() {
    return from;
  }

  /** The position a subscriber holds once it has this publication. */
  public StreamPosition position() {
    return new StreamPosition(offset, epoch);
  }

  /**
   * Returns this publication's encoding under {@code key}, computing it with {@code encoder} the
   * first time.
   */
  @SuppressWarnings("unchecked")
  public <T> T encoded(EncodingKey key, Function<Publication, T> encoder) {
    Object cached = encodings.get(key.index);
    if (cached == null) {
      cached = encoder.apply(this);
      encodings.set(key.index, cached);
    }
    return (T) cached;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Publication that
        && offset == that.offset
        && channel.equals(that.channel)
        && epoch.equals(that.epoch);
  }

  @Override
  public int hashCode() {
    return Objects.hash(channel, offset, epoch);
  }

  @Override
  public String toString() {
    return "Publication[channel=" + channel + ", offset=" + offset + ", epoch=" + epoch + "]";
  }
}
