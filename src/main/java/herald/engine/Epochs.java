package herald.engine;

import java.security.SecureRandom;

/** Makes epoch names: short random strings, so a restarted or flushed engine never reuses one. */
public final class Epochs {

  private static final char[] ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
  private static final int LENGTH = 8;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Epochs() {}

  /** A new epoch name of 8 alphanumeric characters (about 47 bits). */
  public static String next() {
    char[] chars = new char[LENGTH];
    for (int i = 0; i < LENGTH; i++) {
      chars[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
    }
    return new String(chars);
  }
}
