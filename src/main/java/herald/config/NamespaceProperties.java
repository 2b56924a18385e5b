package herald.config;

import herald.channel.ChannelName;
import herald.channel.ChannelOptions;
import herald.channel.ChannelOptionsResolver;
import jakarta.validation.Valid;
import jakarta.validation.constraints.PositiveOrZero;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Per-namespace channel options ({@code herald.namespaces.<ns>.<option>}; in the environment {@code
 * HERALD_NAMESPACES_<NS>_<OPTION>} with the dashes dropped). A channel with no namespace ({@code
 * news}) or in a namespace that is not configured gets {@code herald.channel-defaults.<option>}
 * ({@code HERALD_CHANNELDEFAULTS_<OPTION>}), whose own defaults are the README's.
 */
@Validated
@ConfigurationProperties("herald")
public record NamespaceProperties(
    @DefaultValue Map<String, @Valid Namespace> namespaces,
    @DefaultValue @Valid Namespace channelDefaults)
    implements ChannelOptionsResolver {

  private static final Logger log = LoggerFactory.getLogger(NamespaceProperties.class);

  /**
   * Names of configured namespaces already seen used as a whole channel name; at most one per
   * configured namespace, so bounded by the configuration.
   */
  private static final Set<String> MISTAKES_REPORTED = ConcurrentHashMap.newKeySet();

  /**
   * One namespace's options, each with the README's default. {@code presence} and {@code
   * join-leave} are {@code null} when not set: they are on (presence) and off (join-leave) in
   * ordinary namespaces, and both off where {@code anonymous} is true, since they show user ids to
   * whoever subscribes, and there that is anyone. Setting them explicitly wins.
   *
   * <p>{@code schema} (a file path or {@code classpath:} location of a JSON Schema) and {@code
   * publish-proxy} (an http(s) URL) concern client publications only; the {@code schema} and {@code
   * proxy} packages read them (README "Backend integration").
   */
  public record Namespace(
      @DefaultValue("100") @PositiveOrZero int historySize,
      @DefaultValue("5m") Duration historyTtl,
      @Nullable Boolean presence,
      @Nullable Boolean joinLeave,
      @DefaultValue("false") boolean clientPublish,
      @DefaultValue("false") boolean anonymous,
      @Nullable String schema,
      @Nullable String publishProxy) {

    ChannelOptions toOptions() {
      boolean presenceOn = presence != null ? presence : !anonymous;
      boolean joinLeaveOn = joinLeave != null && joinLeave;
      return new ChannelOptions(
          historySize, historyTtl, presenceOn, joinLeaveOn, clientPublish, anonymous);
    }
  }

  @Override
  public boolean anyAnonymous() {
    return channelDefaults.anonymous()
        || namespaces.values().stream().anyMatch(Namespace::anonymous);
  }

  @Override
  public ChannelOptions optionsFor(ChannelName channel) {
    Namespace namespace = namespaces.get(channel.namespace());
    if (namespace != null) {
      return namespace.toOptions();
    }
    if (channel.namespace().isEmpty() && namespaces.containsKey(channel.value())) {
      reportMistake(channel.value());
    }
    return channelDefaults.toOptions();
  }

  /**
   * {@code herald.namespaces.news} configures channels named {@code news:<something>}; a channel
   * named just {@code news} is in no namespace. Said once per name, the first time such a channel
   * is used, since that is almost always a configuration meant for it.
   */
  private static void reportMistake(String name) {
    if (MISTAKES_REPORTED.add(name)) {
      log.warn(
          "channel {} has no namespace, so herald.namespaces.{}.* does not apply to it (only to"
              + " channels named {}:...); it takes herald.channel-defaults.* (README,"
              + " Configuration)",
          name,
          name,
          name);
    }
  }
}
