package herald.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.channel.ChannelName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Patterns: a channel name, {@code <prefix>:*} or {@code *}; a {@code *} anywhere else refused. */
class ChannelPatternTests {

  @ParameterizedTest
  @ValueSource(strings = {"*", "org:7:*", "document:42", "news", "a:*", "user:alice"})
  void wellFormedPatternsAreAccepted(String pattern) {
    assertThat(ChannelPattern.isValid(pattern)).isTrue();
    assertThat(new ChannelPattern(pattern).pattern()).isEqualTo(pattern);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"org:7*", "user*", "**", "org:*:x", "*:x", "org:7:**", "", "org 7:*", "a:b*c"})
  void malformedPatternsAreRefused(String pattern) {
    assertThat(ChannelPattern.isValid(pattern)).isFalse();
    assertThatThrownBy(() -> new ChannelPattern(pattern))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @CsvSource({
    "org:7:*, org:7:x, true",
    "org:7:*, org:7:team:1, true",
    "org:7:*, org:70:x, false",
    "org:7:*, org:7, false",
    "*, anything, true",
    "document:42, document:42, true",
    "document:42, document:420, false"
  })
  void aPatternMatchesOnlyWhatItNames(String pattern, String channel, boolean matches) {
    assertThat(new ChannelPattern(pattern).matches(ChannelName.of(channel))).isEqualTo(matches);
  }
}
