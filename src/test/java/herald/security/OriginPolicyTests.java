package herald.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

  @Test
  void theSchemeIsPartOfTheOrigin() {
    OriginPolicy policy =
        new OriginPolicy(new OriginProperties(List.of("https://app.example.com")));
    assertThat(policy.allows("https://app.example.com", REQUEST)).isTrue();
    assertThat(policy.allows("http://app.example.com", REQUEST)).isFalse();
    assertThat(policy.allows("https://herald.example:8080", REQUEST))
        .as("same host and port, other scheme")
        .isFalse();
  }

  @Test
  void defaultPortsAreTheSameOriginAsNoPort() {
    OriginPolicy policy =
        new OriginPolicy(
            new OriginProperties(List.of("http://a.example", "https://b.example:443")));
    assertThat(policy.allows("http://a.example:80", REQUEST)).isTrue();
    assertThat(policy.allows("https://b.example", REQUEST)).isTrue();
    assertThat(policy.allows("http://a.example:8080", REQUEST)).isFalse();
    assertThat(policy.allows("https://a.example:80", REQUEST)).isFalse();
    URI onDefaultPort = URI.create("http://herald.example/ws");
    OriginPolicy sameOriginOnly = new OriginPolicy(new OriginProperties(List.of()));
    assertThat(sameOriginOnly.allows("http://herald.example:80", onDefaultPort)).isTrue();
    assertThat(sameOriginOnly.allows("https://herald.example:80", onDefaultPort)).isFalse();
  }

  @Test
  void theOpaqueNullOriginIsRefusedEvenUnderAStar() {
    assertThat(new OriginPolicy(new OriginProperties(List.of("*"))).allows("null", REQUEST))
        .isFalse();
    assertThat(new OriginPolicy(new OriginProperties(List.of())).allows("null", REQUEST)).isFalse();
  }

  @Test
  void somethingThatIsNotAnOriginIsRefused() {
    OriginPolicy policy = new OriginPolicy(new OriginProperties(List.of("*")));
    for (String origin :
        List.of("", "herald.example:8080", "file:///etc", "http://herald.example:8080/x", "%")) {
      assertThat(policy.allows(origin, REQUEST)).as(origin).isFalse();
    }
  }

  @Test
  void anAllowedOriginThatIsNotAnOriginStopsStartUp() {
    assertThatThrownBy(() -> new OriginProperties(List.of("app.example.com")))
        .hasMessageContaining("herald.allowed-origins")
        .hasMessageContaining("app.example.com");
    assertThatThrownBy(() -> new OriginProperties(List.of("https://app.example.com/login")))
        .hasMessageContaining("herald.allowed-origins");
  }
}
