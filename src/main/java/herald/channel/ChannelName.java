package herald.channel;

import java.util.regex.Pattern;

/**
 * A channel name as the README defines it: 1–255 characters of {@code A-Z a-z 0-9 _ - . : @ =}.
 *
 * <p>The grammar is enforced here, once; nothing downstream checks a name again.
 *
 * @param value the name as clients spell it
 */
public record ChannelName(String value) {

  /** Longest channel name accepted. */
  public static final int MAX_LENGTH = 255;

  private static final Pattern GRAMMAR = Pattern.compile("[A-Za-z0-9_\\-.:@=]{1,255}");

  private static final String PERSONAL_PREFIX = "user:";

  public ChannelName {
    if (value == null || !GRAMMAR.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "channel name must be 1-255 characters of A-Z a-z 0-9 _ - . : @ =");
    }
  }

  /**
   * Parses a client-supplied name.
   *
   * @throws IllegalArgumentException with a message fit for the client when the name is invalid
   */
  public static ChannelName of(String value) {
    return new ChannelName(value);
  }

  /** Whether {@code value} is a valid channel name. */
  public static boolean isValid(String value) {
    return value != null && GRAMMAR.matcher(value).matches();
  }

  /** The part before the first {@code :}, or the empty string when there is none. */
  public String namespace() {
    int colon = value.indexOf(':');
    return colon < 0 ? "" : value.substring(0, colon);
  }

  /** Whether this is the personal channel {@code user:<userId>}. */
  public boolean isPersonalChannelOf(String userId) {
    return value.length() == PERSONAL_PREFIX.length() + userId.length()
        && value.startsWith(PERSONAL_PREFIX)
        && value.endsWith(userId);
  }

  @Override
  public String toString() {
    return value;
  }
}
