package herald.channel;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Names one wire encoding of a publication, so that {@link Publication#encoded} can keep it.
 *
 * <p>Each codec creates its keys once, as constants. There are few encodings (JSON push,
 * MessagePack push, SSE data), so keys are small indexes into a per-publication array.
 */
public final class EncodingKey {

  static final int MAX_KEYS = 8;

  private static final AtomicInteger NEXT = new AtomicInteger();

  final int index;
  private final String name;

  private EncodingKey(int index, String name) {
    this.index = index;
    this.name = name;
  }

  /** Creates a key; call once per encoding, from a static initialiser. */
  public static EncodingKey create(String name) {
    int index = NEXT.getAndIncrement();
    if (index >= MAX_KEYS) {
      throw new IllegalStateException("too many encoding keys: " + name);
    }
    return new EncodingKey(index, name);
  }

  @Override
  public String toString() {
    return name;
  }
}
