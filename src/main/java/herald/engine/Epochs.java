package herald.engine;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Makes epoch names: short random strings, so a restarted or flushed engine never reuses one.
 * Epochs are not secrets, so they come from {@link ThreadLocalRandom}, which never blocks an event
 * loop.
 */
public final class Epochs {

  private static final char[] ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
  private static final int LENGTH = 8;

  private Epochs() {}

  /** A new epoch name of 8 alphanumeric characters (about 47 bits). */
  public static String next() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    char[] chars = new char[LENGTH];
    for (int i = 0; i < LENGTH; i++) {
      chars[i] = ALPHABET[random.nextInt(ALPHABET.length)];
    }
    return new String(chars);
  }
}
