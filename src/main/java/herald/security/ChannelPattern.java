package herald.security;

import herald.channel.ChannelName;

/**
 * A channel pattern from a token's {@code subscribe} or {@code publish} claim: an exact name, a
 * prefix ending in {@code *} ({@code org:7:*}), or {@code *} for every channel.
 *
 * @param pattern the pattern as written in the token
 */
public record ChannelPattern(String pattern) {

  public boolean matches(ChannelName channel) {
    if (pattern.endsWith("*")) {
      return channel.value().startsWith(pattern.substring(0, pattern.length() - 1));
    }
    return pattern.equals(channel.value());
  }
}
