package herald.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.channel.ChannelName;
import herald.channel.ChannelOptions;
import herald.protocol.ErrorCode;
import herald.protocol.HeraldException;
import herald.support.TestChannelOptions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class ChannelPermissionsTests {

  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  private final ChannelPermissions permissions =
      new ChannelPermissions(
          channel ->
              channel.namespace().equals("public")
                  ? new ChannelOptions(100, Duration.ofMinutes(5), true, false, false, true)
                  : new TestChannelOptions().optionsFor(channel),
          Clock.fixed(NOW, ZoneOffset.UTC));

  private static Credentials alice(List<String> subscribe, List<String> publish) {
    return new Credentials(
        "alice",
        subscribe.stream().map(ChannelPattern::new).toList(),
        publish.stream().map(ChannelPattern::new).toList(),
        NOW.plusSeconds(60),
        false);
  }

  private static ChannelName channel(String name) {
    return ChannelName.of(name);
  }

  @Test
  void exactPrefixAndWildcardPatternsPermitSubscribing() {
    Credentials credentials = alice(List.of("document:42", "org:7:*"), List.of());
    assertThatCode(() -> permissions.checkSubscribe(credentials, channel("document:42")))
        .doesNotThrowAnyException();
    assertThatCode(() -> permissions.checkSubscribe(credentials, channel("org:7:team:1")))
        .doesNotThrowAnyException();
    assertForbidden(() -> permissions.checkSubscribe(credentials, channel("document:43")));
    assertForbidden(() -> permissions.checkSubscribe(credentials, channel("org:70")));
    assertThatCode(
            () -> permissions.checkSubscribe(alice(List.of("*"), List.of()), channel("any.thing")))
        .doesNotThrowAnyException();
  }

  @Test
  void theOwnPersonalChannelIsAlwaysPermitted() {
    Credentials credentials = alice(List.of(), List.of());
    assertThatCode(() -> permissions.checkSubscribe(credentials, channel("user:alice")))
        .doesNotThrowAnyException();
    assertForbidden(() -> permissions.checkSubscribe(credentials, channel("user:alicex")));
    assertForbidden(() -> permissions.checkSubscribe(credentials, channel("user:bob")));
  }

  @Test
  void theChannelsClaimPermitsExactlyItsChannelsToSubscribeButNotToPublish() {
    Credentials credentials =
        new Credentials(
            "alice", List.of(), List.of(), NOW.plusSeconds(60), false, List.of(channel("team:7")));
    assertThatCode(() -> permissions.checkSubscribe(credentials, channel("team:7")))
        .doesNotThrowAnyException();
    assertForbidden(() -> permissions.checkSubscribe(credentials, channel("team:70")));
    assertForbidden(() -> permissions.checkPublish(credentials, channel("team:7")));
  }

  @Test
  void anonymousConnectionsMaySubscribeOnlyInAnonymousNamespaces() {
    Credentials anonymous = Credentials.anonymousUser();
    assertThatCode(() -> permissions.checkSubscribe(anonymous, channel("public:news")))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> permissions.checkSubscribe(anonymous, channel("news")))
        .isInstanceOfSatisfying(
            HeraldException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED));
  }

  @Test
  void publishingNeedsClientPublishAndAPattern() {
    Credentials credentials = alice(List.of("*"), List.of("chat:*"));
    assertThatCode(() -> permissions.checkPublish(credentials, channel("chat:1")))
        .doesNotThrowAnyException();
    assertForbidden(() -> permissions.checkPublish(credentials, channel("news")));
    assertForbidden(
        () -> permissions.checkPublish(alice(List.of("*"), List.of()), channel("chat:1")));
  }

  @Test
  void anExpiredTokenIsUnauthorized() {
    Credentials expired =
        new Credentials("alice", List.of(new ChannelPattern("*")), List.of(), NOW, false);
    assertThatThrownBy(() -> permissions.checkSubscribe(expired, channel("news")))
        .isInstanceOfSatisfying(
            HeraldException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED));
  }

  private static void assertForbidden(ThrowingCallable call) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            HeraldException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FORBIDDEN));
  }
}
