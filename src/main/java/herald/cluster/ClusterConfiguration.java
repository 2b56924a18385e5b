package herald.cluster;

import herald.connection.ClientSessions;
import herald.engine.Backplane;
import herald.registry.ChannelRegistry;
import herald.security.AuthMode;
import herald.security.AuthProperties;
import java.time.Clock;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/** The cluster view on top of the engine's backplane. */
@Configuration(proxyBeanMethods = false)
class ClusterConfiguration {

  @Bean
  LocalNode localNode(ClientSessions sessions, ChannelRegistry registry, Clock clock) {
    return new LocalNode(sessions, registry, clock);
  }

  @Bean(destroyMethod = "close")
  NodeDirectory nodeDirectory(
      Backplane backplane, LocalNode local, JsonMapper json, ClusterProperties properties) {
    return new NodeDirectory(backplane, local, json, properties, Schedulers.parallel());
  }

  @Bean
  ClusterControl clusterControl(
      Backplane backplane,
      LocalNode local,
      JsonMapper json,
      ClusterProperties properties,
      AuthProperties auth,
      AuthMode mode,
      Clock clock) {
    SecretKeySpec key = ControlKey.resolve(properties, auth, mode, backplane.shared());
    return new ClusterControl(
        backplane, local, new ControlMessages(json, key, clock), properties.requestTimeout());
  }

  @Bean(destroyMethod = "close")
  ClaimRenewal claimRenewal(ClientSessions sessions) {
    return new ClaimRenewal(sessions, Schedulers.parallel());
  }

  @Bean
  Cluster cluster(NodeDirectory directory, ClusterControl control) {
    return new Cluster(directory, control);
  }
}
