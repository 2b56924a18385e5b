package herald.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.autoconfigure.ServerProperties;

/** Development mode listens on loopback unless {@code server.address} says otherwise. */
class DevelopmentModeConfigurationTests {

  private final DevelopmentModeConfiguration configuration = new DevelopmentModeConfiguration();

  private NettyReactiveWebServerFactory customized(AuthMode mode, ServerProperties server) {
    NettyReactiveWebServerFactory factory = new NettyReactiveWebServerFactory();
    factory.setAddress(server.getAddress()); // what Boot's own customizer does
    configuration.developmentModeOnLoopback(mode, server).customize(factory);
    return factory;
  }

  @Test
  void developmentModeListensOnLoopback() {
    assertThat(customized(AuthMode.DEVELOPMENT, new ServerProperties()).getAddress())
        .isEqualTo(InetAddress.getLoopbackAddress());
  }

  @Test
  void anAddressSetByTheOperatorIsKept() throws Exception {
    ServerProperties server = new ServerProperties();
    server.setAddress(InetAddress.getByName("0.0.0.0"));

    assertThat(customized(AuthMode.DEVELOPMENT, server).getAddress())
        .isEqualTo(InetAddress.getByName("0.0.0.0"));
  }

  @Test
  void aSecureNodeListensWhereverItIsTold() {
    assertThat(customized(AuthMode.HMAC, new ServerProperties()).getAddress()).isNull();
  }
}
