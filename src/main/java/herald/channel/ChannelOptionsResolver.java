package herald.channel;

/** Finds the options that apply to a channel, from its namespace. */
@FunctionalInterface
public interface ChannelOptionsResolver {

  /** The options of {@code channel}'s namespace, or the defaults when it is not configured. */
  ChannelOptions optionsFor(ChannelName channel);

  /**
   * Whether some namespace lets connections without a token subscribe; when none does, a client
   * without a token has nothing it may do.
   */
  default boolean anyAnonymous() {
    return ChannelOptions.DEFAULTS.anonymous();
  }
}
