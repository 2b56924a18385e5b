package herald.load;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Finds fields in received bytes without decoding them: the generator shares the machine's cores
 * with the node, so it reads only the few numbers it needs ({@code "k"}, {@code "seq"}, {@code "t"}
 * of a publication's data) straight from the frame's buffer.
 */
final class Bytes {

  static final byte[] SEQ = ascii("\"seq\":");
  static final byte[] SENT = ascii("\"t\":");
  static final byte[] SLOT = ascii("\"k\":");
  static final byte[] ERROR = ascii("\"error\"");
  static final byte[] REPLY = ascii("{\"id\":");
  static final byte[] BLOCK_END = ascii("\n\n");
  static final byte[] ID_LINE = ascii("id: ");

  private Bytes() {}

  static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  /** Index of {@code pattern} in {@code buf} between {@code from} and {@code to}, or -1. */
  static int indexOf(ByteBuf buf, int from, int to, byte[] pattern) {
    int last = to - pattern.length;
    byte first = pattern[0];
    outer:
    for (int i = from; i <= last; i++) {
      if (buf.getByte(i) != first) {
        continue;
      }
      for (int j = 1; j < pattern.length; j++) {
        if (buf.getByte(i + j) != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  static boolean startsWith(ByteBuf buf, int from, int to, byte[] pattern) {
    if (to - from < pattern.length) {
      return false;
    }
    for (int j = 0; j < pattern.length; j++) {
      if (buf.getByte(from + j) != pattern[j]) {
        return false;
      }
    }
    return true;
  }

  /** The non-negative decimal number after {@code field} in [from, to), or -1 when absent. */
  static long number(ByteBuf buf, int from, int to, byte[] field) {
    int at = indexOf(buf, from, to, field);
    if (at < 0) {
      return -1;
    }
    long value = 0;
    boolean any = false;
    for (int i = at + field.length; i < to; i++) {
      byte c = buf.getByte(i);
      if (c < '0' || c > '9') {
        break;
      }
      value = value * 10 + (c - '0');
      any = true;
    }
    return any ? value : -1;
  }
}
