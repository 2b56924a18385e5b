package herald.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;

class ClientAddressTests {

  private static MockServerHttpRequest request(String forwardedFor) {
    return MockServerHttpRequest.get("/ws")
        .remoteAddress(new InetSocketAddress("192.0.2.7", 40000))
        .header("X-Forwarded-For", forwardedFor)
        .build();
  }

  @Test
  void withoutTrustTheForwardedHeaderIsIgnored() {
    ClientAddress addresses = new ClientAddress(new ProxyProperties(false));
    assertThat(addresses.of(request("203.0.113.9"))).isEqualTo("192.0.2.7");
  }

  @Test
  void behindATrustedProxyTheFirstForwardedAddressIsTheClient() {
    ClientAddress addresses = new ClientAddress(new ProxyProperties(true));
    assertThat(addresses.of(request("203.0.113.9, 10.0.0.1"))).isEqualTo("203.0.113.9");
    assertThat(addresses.of(request(" "))).isEqualTo("192.0.2.7");
  }
}
