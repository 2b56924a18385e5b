package herald.config;

import herald.channel.ChannelName;
import herald.channel.ChannelOptions;
import herald.channel.ChannelOptionsResolver;
import jakarta.validation.Valid;
import jakarta.validation.constraints.PositiveOrZero;
import java.time.Duration;
import java.util.Map;
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

  /** One namespace's options; every one has the SPEC's default. */
  public record Namespace(
      @DefaultValue("100") @PositiveOrZero int historySize,
      @DefaultValue("5m") Duration historyTtl,
      @DefaultValue("true") boolean presence,
      @DefaultValue("false") boolean joinLeave,
      @DefaultValue("false") boolean clientPublish,
      @DefaultValue("false") boolean anonymous) {

    ChannelOptions toOptions() {
      return new ChannelOptions(
          historySize, historyTtl, presence, joinLeave, clientPublish, anonymous);
    }
  }

  @Override
  public ChannelOptions optionsFor(ChannelName channel) {
    Namespace namespace = namespaces.get(channel.namespace());
    return namespace == null ? ChannelOptions.DEFAULTS : namespace.toOptions();
  }
}
