package herald.security;

import herald.channel.ChannelName;

/**
 * A channel pattern from a token's {@code subscribe} or {@code publish} claim: an exact channel
 * name, a prefix ending in {@code :*} ({@code org:7:*} matches {@code org:7:x} but not {@code
 * org:70:x}), or {@code *} for every channel. A {@code *} anywhere else is refused, so a pattern
 * cannot reach past a {@code :} boundary by accident ({@code org:7*}, {@code user*}).
 *
 * @param pattern the pattern as written in the token
 */
public record ChannelPattern(String pattern) {

  private static final String EVERYTHING = "*";
  private static final String ANY_REST = ":*";

  /**
   * @throws IllegalArgumentException when {@code pattern} is not one of the three forms
   */
  public ChannelPattern {
    if (!isValid(pattern)) {
      throw new IllegalArgumentException("malformed channel pattern");
    }
  }

  /** Whether {@code pattern} is a channel name, {@code <prefix>:*} or {@code *}. */
  public static boolean isValid(String pattern) {
    if (pattern == null) {
      return false;
    }
    if (pattern.equals(EVERYTHING)) {
      return true;
    }
    if (pattern.endsWith(ANY_REST)) {
      // The prefix with its ':' must itself be a well-formed channel name.
      return ChannelName.isValid(pattern.substring(0, pattern.length() - 1));
    }
    return ChannelName.isValid(pattern);
  }

  public boolean matches(ChannelName channel) {
    if (pattern.endsWith(EVERYTHING)) {
      return channel.value().startsWith(pattern.substring(0, pattern.length() - 1));
    }
    return pattern.equals(channel.value());
  }
}
