package herald.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;

class ClientAddressTests {

  private static final String PEER = "192.0.2.7";

  private static MockServerHttpRequest request(String... forwardedFor) {
    return MockServerHttpRequest.get("/ws")
        .remoteAddress(new InetSocketAddress(PEER, 40000))
        .header("X-Forwarded-For", forwardedFor)
        .build();
  }

  private static ClientAddress behind(int hops) {
    return new ClientAddress(new ProxyProperties(true, hops));
  }

  @Test
  void withoutTrustTheForwardedHeaderIsIgnored() {
    ClientAddress addresses = new ClientAddress(new ProxyProperties(false, 1));
    assertThat(addresses.of(request("203.0.113.9"))).isEqualTo(PEER);
  }

  @Test
  void behindOneTrustedProxyTheClientIsTheAddressItAppended() {
    // The client sent "X-Forwarded-For: 6.6.6.6" itself; the proxy appended the real peer.
    assertThat(behind(1).of(request("6.6.6.6, 203.0.113.9"))).isEqualTo("203.0.113.9");
    assertThat(behind(1).of(request("203.0.113.9"))).isEqualTo("203.0.113.9");
  }

  @Test
  void repeatedHeaderLinesAreOneListAndTheLastLineIsTheProxys() {
    assertThat(behind(1).of(request("6.6.6.6", "203.0.113.9"))).isEqualTo("203.0.113.9");
  }

  @Test
  void withTwoHopsTheClientIsTheSecondFromTheRight() {
    // CDN saw 198.51.100.4 and appended it; the ingress appended the CDN's address.
    ClientAddress addresses = behind(2);
    assertThat(addresses.of(request("6.6.6.6, 198.51.100.4, 10.0.0.2"))).isEqualTo("198.51.100.4");
    // Fewer entries than hops: the request skipped the outer proxy; the leftmost is still a
    // proxy's.
    assertThat(addresses.of(request("198.51.100.4"))).isEqualTo("198.51.100.4");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "evil.example.com",
        "unknown",
        "",
        " ",
        "203.0.113.9.1",
        "256.1.1.1",
        "203.0.113.9:port",
        "[2001:db8::1",
        "fe80::1%eth0",
        "203.0.113.9 203.0.113.10",
        "_hidden"
      })
  void anythingButAnIpLiteralFallsBackToThePeer(String entry) {
    assertThat(behind(1).of(request("203.0.113.50, " + entry))).isEqualTo(PEER);
  }

  @Test
  void portsAreDroppedAndAddressesCanonical() {
    assertThat(behind(1).of(request("203.0.113.9:4711"))).isEqualTo("203.0.113.9");
    assertThat(behind(1).of(request("[2001:DB8:0:0::1]:4711"))).isEqualTo("2001:db8::1");
    assertThat(behind(1).of(request("0:0:0:0:0:0:0:1"))).isEqualTo("::1");
  }

  @Test
  void thePeerIsCanonicalToo() {
    MockServerHttpRequest request =
        MockServerHttpRequest.get("/ws")
            .remoteAddress(new InetSocketAddress("0:0:0:0:0:0:0:1", 40000))
            .build();
    assertThat(new ClientAddress(new ProxyProperties(false, 1)).of(request)).isEqualTo("::1");
  }
}
