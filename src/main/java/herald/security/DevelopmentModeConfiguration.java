package herald.security;

import java.net.InetAddress;
import org.springframework.boot.web.server.ConfigurableWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.autoconfigure.ServerProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Development mode listens on loopback only: a laptop on a café network must not offer a server
 * without signature checks to its neighbours. {@code server.address} ({@code SERVER_ADDRESS}), when
 * set, is taken as it is.
 */
@Configuration(proxyBeanMethods = false)
class DevelopmentModeConfiguration {

  @Bean
  WebServerFactoryCustomizer<ConfigurableWebServerFactory> developmentModeOnLoopback(
      AuthMode mode, ServerProperties server) {
    return factory -> {
      if (mode.insecure() && server.getAddress() == null) {
        factory.setAddress(InetAddress.getLoopbackAddress());
      }
    };
  }
}
