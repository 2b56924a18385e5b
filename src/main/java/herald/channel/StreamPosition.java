package herald.channel;

import java.util.Objects;

/**
 * A position in a channel's offset sequence: the offset of the last publication a client has, in
 * the sequence named by {@code epoch}.
 *
 * @param offset the last offset seen; 0 means "nothing yet"
 * @param epoch the offset sequence the offset belongs to
 */
public record StreamPosition(long offset, String epoch) {

  public StreamPosition {
    if (offset < 0) {
      throw new IllegalArgumentException("offset must not be negative");
    }
    Objects.requireNonNull(epoch, "epoch");
  }
}
