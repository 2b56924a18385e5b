package herald.config;

import static org.assertj.core.api.Assertions.assertThat;

import herald.channel.ChannelName;
import herald.channel.ChannelOptions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** Namespace options as Spring binds them from settings. */
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
}
