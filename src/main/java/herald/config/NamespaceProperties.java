package herald.config;

import herald.channel.ChannelName;
import herald.channel.ChannelOptions;
import herald.channel.ChannelOptionsResolver;
import jakarta.validation.Valid;
import jakarta.validation.constraints.PositiveOrZero;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Per-namespace channel options ({@code herald.namespaces.<ns>.<option>}; in the environment {@code
 * HERALD_NAMESPACES_<NS>_<OPTION>} with the dashes dropped). A channel in no configured namespace
 * gets {@link ChannelOptions#DEFAULTS}.
 */
@Validated
@ConfigurationProperties("herald")
public record NamespaceProperties(@DefaultValue Map<String, @Valid Namespace> namespaces)
    implements ChannelOptionsResolver {

  /**
   * One namespace's options, each with the README's default. {@code presence} and {@code
   * join-leave} are {@code null} when not set: they are on (presence) and off (join-leave) in
   * ordinary namespaces, and both off where {@code anonymous} is true, since they show user ids to
   * whoever subscribes, and there that is anyone. Setting them explicitly wins.
   */
  public record Namespace(
      @DefaultValue("100") @PositiveOrZero int historySize,
      @DefaultValue("5m") Duration historyTtl,
      @Nullable Boolean presence,
      @Nullable Boolean joinLeave,
      @DefaultValue("false") boolean clientPublish,
      @DefaultValue("false") boolean anonymous) {

    ChannelOptions toOptions() {
      boolean presenceOn = presence != null ? presence : !anonymous;
      boolean joinLeaveOn = joinLeave != null && joinLeave;
      return new ChannelOptions(
          historySize, historyTtl, presenceOn, joinLeaveOn, clientPublish, anonymous);
    }
  }

  @Override
  public boolean anyAnonymous() {
    return namespaces.values().stream().anyMatch(Namespace::anonymous);
  }

  @Override
  public ChannelOptions optionsFor(ChannelName channel) {
    Namespace namespace = namespaces.get(channel.namespace());
    return namespace == null ? ChannelOptions.DEFAULTS : namespace.toOptions();
  }
}
