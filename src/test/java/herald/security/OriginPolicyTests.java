package herald.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class OriginPolicyTests {

  private static final URI REQUEST = URI.create("http://herald.example:8080/ws");

  @Test
  void withoutAllowedOriginsOnlyTheSameOriginAndNonBrowsersPass() {
    OriginPolicy policy = new OriginPolicy(new OriginProperties(List.of()));
    assertThat(policy.allows(null, REQUEST)).isTrue();
    assertThat(policy.allows("http://herald.example:8080", REQUEST)).isTrue();
    assertThat(policy.allows("http://evil.example", REQUEST)).isFalse();
    assertThat(policy.allows("http://herald.example:9090", REQUEST)).isFalse();
    assertThat(policy.allows("null", REQUEST)).isFalse();
  }

  @Test
  void listedOriginsPassIgnoringCaseAndTrailingSlash() {
    OriginPolicy policy =
        new OriginPolicy(new OriginProperties(List.of("https://App.Example.com/", " ")));
    assertThat(policy.allows("https://app.example.com", REQUEST)).isTrue();
    assertThat(policy.allows("https://app.example.com.evil.example", REQUEST)).isFalse();
  }

  @Test
  void aStarAllowsEveryOrigin() {
    OriginPolicy policy = new OriginPolicy(new OriginProperties(List.of("*")));
    assertThat(policy.allows("http://anything.example", REQUEST)).isTrue();
  }
}
