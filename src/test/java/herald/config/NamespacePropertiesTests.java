package herald.config;

import static org.assertj.core.api.Assertions.assertThat;

import herald.channel.ChannelName;
import herald.channel.ChannelOptions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** Namespace options as Spring binds them from settings. */
@ExtendWith(OutputCaptureExtension.class)
class NamespacePropertiesTests {

  private static NamespaceProperties bind(Map<String, String> settings) {
    return new Binder(new MapConfigurationPropertySource(settings))
        .bindOrCreate("herald", NamespaceProperties.class);
  }

  private static ChannelOptions options(NamespaceProperties properties, String channel) {
    return properties.optionsFor(ChannelName.of(channel));
  }

  @Test
  void anonymousNamespacesShowNoPresenceAndNoJoinLeaveUnlessAskedTo() {
    NamespaceProperties properties =
        bind(
            Map.of(
                "herald.namespaces.lobby.anonymous", "true",
                "herald.namespaces.stage.anonymous", "true",
                "herald.namespaces.stage.presence", "true",
                "herald.namespaces.stage.join-leave", "true",
                "herald.namespaces.team.history-size", "10"));

    ChannelOptions lobby = options(properties, "lobby:1");
    assertThat(lobby.anonymous()).isTrue();
    assertThat(lobby.presence()).isFalse();
    assertThat(lobby.joinLeave()).isFalse();

    ChannelOptions stage = options(properties, "stage:1");
    assertThat(stage.presence()).isTrue();
    assertThat(stage.joinLeave()).isTrue();

    ChannelOptions team = options(properties, "team:1");
    assertThat(team.presence()).isTrue();
    assertThat(team.joinLeave()).isFalse();
    assertThat(options(properties, "elsewhere:1")).isEqualTo(ChannelOptions.DEFAULTS);
  }

  @Test
  void whetherAnyNamespaceAdmitsConnectionsWithoutAToken() {
    assertThat(bind(Map.of("herald.namespaces.team.presence", "false")).anyAnonymous()).isFalse();
    assertThat(bind(Map.of("herald.namespaces.lobby.anonymous", "true")).anyAnonymous()).isTrue();
  }

  @Test
  void channelsWithoutANamespaceOrInAnUnconfiguredOneTakeTheChannelDefaults() {
    NamespaceProperties properties =
        bind(
            Map.of(
                "herald.channel-defaults.history-size", "2",
                "herald.channel-defaults.join-leave", "true",
                "herald.namespaces.team.history-size", "10"));

    assertThat(options(properties, "news").historySize()).isEqualTo(2);
    assertThat(options(properties, "news").joinLeave()).isTrue();
    assertThat(options(properties, "elsewhere:1").historySize()).isEqualTo(2);
    assertThat(options(properties, "team:1").historySize()).isEqualTo(10);
    assertThat(options(properties, "team:1").joinLeave()).isFalse();
  }

  @Test
  void withoutChannelDefaultsTheReadmesDefaultsHold() {
    assertThat(options(bind(Map.of()), "news")).isEqualTo(ChannelOptions.DEFAULTS);
  }

  @Test
  void theEnvironmentVariableOfTheChannelDefaultsBinds() {
    NamespaceProperties properties =
        new Binder(
                ConfigurationPropertySources.from(
                    new SystemEnvironmentPropertySource(
                        StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
                        Map.<String, Object>of("HERALD_CHANNELDEFAULTS_HISTORYSIZE", "3"))))
            .bindOrCreate("herald", NamespaceProperties.class);
    assertThat(options(properties, "news").historySize()).isEqualTo(3);
  }

  @Test
  void aChannelNamedLikeAConfiguredNamespaceIsReportedOnce(CapturedOutput output) {
    NamespaceProperties properties = bind(Map.of("herald.namespaces.headlines.history-size", "2"));

    assertThat(options(properties, "headlines").historySize()).isEqualTo(100);
    options(properties, "headlines");

    String log = output.getAll();
    assertThat(log).contains("herald.namespaces.headlines.* does not apply to it");
    assertThat(log.indexOf("herald.namespaces.headlines.*"))
        .isEqualTo(log.lastIndexOf("herald.namespaces.headlines.*"));
  }
}
