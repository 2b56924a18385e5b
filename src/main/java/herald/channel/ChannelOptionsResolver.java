package herald.channel;

/** Finds the options that apply to a channel, from its namespace. */
@FunctionalInterface
public interface ChannelOptionsResolver {

  /** The options of {@code channel}'s namespace, or the defaults when it is not configured. */
  ChannelOptions optionsFor(ChannelName channel);
}
