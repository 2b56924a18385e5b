package herald.config;

import herald.channel.ChannelName;
import java.util.HashMap;
import java.util.Map;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;

/**
 * Something built once at start-up from each namespace's settings (a compiled schema, a proxy
 * target), found for a channel the way {@link NamespaceProperties#optionsFor} finds options: the
 * channel's configured namespace, else {@code herald.channel-defaults}.
 *
 * @param <T> what is built; absent where the namespace does not ask for it
 */
public final class PerNamespace<T> {

  private final Map<String, @Nullable T> byNamespace;
  private final @Nullable T defaults;

  private PerNamespace(Map<String, @Nullable T> byNamespace, @Nullable T defaults) {
    this.byNamespace = byNamespace;
    this.defaults = defaults;
  }

  /**
   * Builds one {@code T} per configured namespace and one for the channel defaults.
   *
   * @param build takes the settings' prefix ({@code herald.namespaces.chat}, {@code
   *     herald.channel-defaults}, for messages that name a setting) and the namespace's settings;
   *     returns {@code null} where there is nothing to build
   */
  public static <T> PerNamespace<T> build(
      NamespaceProperties properties,
      BiFunction<String, NamespaceProperties.Namespace, @Nullable T> build) {
    Map<String, @Nullable T> byNamespace = new HashMap<>();
    properties
        .namespaces()
        .forEach(
            (name, namespace) ->
                byNamespace.put(name, build.apply("herald.namespaces." + name, namespace)));
    return new PerNamespace<>(
        byNamespace, build.apply("herald.channel-defaults", properties.channelDefaults()));
  }

  /** Nothing for any namespace. */
  public static <T> PerNamespace<T> none() {
    return new PerNamespace<>(Map.of(), null);
  }

  /** What was built for {@code channel}'s namespace, or {@code null}. */
  public @Nullable T forChannel(ChannelName channel) {
    String namespace = channel.namespace();
    return byNamespace.containsKey(namespace) ? byNamespace.get(namespace) : defaults;
  }

  /** Whether nothing at all was built: no namespace asks for it. */
  public boolean isEmpty() {
    return defaults == null && byNamespace.values().stream().allMatch(built -> built == null);
  }
}
