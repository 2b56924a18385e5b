package herald.channel;

import herald.config.LimitProperties;

/**
 * A channel value that depends on configuration, which channel values must not: the fixture that
 * proves {@code ArchitectureTests.valuesDependOnNothingOfOurs} catches such a dependency.
 */
public final class LeakyChannelValue {

  public int limit(LimitProperties limits) {
    return limits.maxChannelsPerConnection();
  }
}
