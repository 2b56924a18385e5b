package herald.support;

import herald.channel.ChannelName;
import herald.channel.ChannelOptions;
import herald.channel.ChannelOptionsResolver;
import java.time.Duration;

/**
 * Channel options for unit tests: {@code short} keeps 3 publications, {@code race} 100,000, {@code
 * chat} has join-leave and client publish, everything else has the defaults.
 */
public final class TestChannelOptions implements ChannelOptionsResolver {

  @Override
  public ChannelOptions optionsFor(ChannelName channel) {
    if (channel.value().startsWith("race")) {
      return new ChannelOptions(100_000, Duration.ofMinutes(5), true, false, false, false);
    }
    if (channel.value().startsWith("short")) {
      return new ChannelOptions(3, Duration.ofMinutes(5), true, false, false, false);
    }
    if (channel.namespace().equals("chat")) {
      return new ChannelOptions(100, Duration.ofMinutes(5), true, true, true, false);
    }
    return ChannelOptions.DEFAULTS;
  }
}
