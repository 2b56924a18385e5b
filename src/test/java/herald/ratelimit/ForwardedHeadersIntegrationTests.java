package herald.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import herald.support.RawHttp;
import herald.support.TestTokens;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * On Kubernetes (detected from the environment; declared here), Spring Boot would honour forwarded
 * headers by itself unless told not to. Without {@code herald.trust-proxy}, a client that names a
 * new address in every {@code X-Forwarded-For} must still share its socket's limiter.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "herald.auth.hmac-secret=" + TestTokens.SECRET,
      "spring.main.cloud-platform=kubernetes",
      "herald.rate-limits.connections-per-ip-per-second=1",
      "herald.rate-limits.connections-per-ip-burst=20"
    })
class ForwardedHeadersIntegrationTests {

  @LocalServerPort int port;

  @Test
  void withoutTrustAForgedForwardedForDoesNotBuyANewBudget() throws IOException {
    int refused = 0;
    // The window (20 s) starts with the first request; the loop takes a fraction of it.
    for (int i = 1; i <= 25; i++) {
      String spoofed =
          "X-Forwarded-For: 203.0.113." + i + "\r\nForwarded: for=203.0.113." + i + "\r\n";
      RawHttp.Response response =
          RawHttp.exchange(port, RawHttp.get(port, "/sse?channel=news", spoofed));
      if (response.status() == 429) {
        refused++;
      } else {
        assertThat(response.status()).as(response.head()).isEqualTo(401);
      }
    }
    assertThat(refused).isEqualTo(5);
  }
}
