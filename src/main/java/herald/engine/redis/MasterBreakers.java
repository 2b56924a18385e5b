package herald.engine.redis;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * On a Redis Cluster, a lane's circuit breaker for each master, for the commands on one channel's
 * keys (publishing, history reads) and the sharded subscribes on the master's own connection: a
 * master that dies fails fast on its own slots while the others go on being written, instead of one
 * breaker that its failures open for every channel.
 *
 * <p>Each is named {@code <lane>@<host>:<port>} (the {@code name} tag of its metrics) and made the
 * first time a master is written to. When one is made, those of addresses that serve no slot any
 * more (a failed-over master, a node removed) are dropped, so there are never many more than
 * masters times lanes.
 */
final class MasterBreakers {

  private final CircuitBreakerRegistry registry;
  private final Map<String, CircuitBreaker> byName = new ConcurrentHashMap<>();

  MasterBreakers(CircuitBreakerRegistry registry) {
    this.registry = registry;
  }

  /**
   * The breaker of {@code lane} for the master that holds {@code key}'s slot in {@code partitions};
   * {@code lane} itself while no master holds it.
   */
  CircuitBreaker of(CircuitBreaker lane, Partitions partitions, String key) {
    RedisClusterNode master = partitions.getMasterBySlot(SlotHash.getSlot(key));
    return master == null ? lane : at(lane, address(master.getUri()), partitions);
  }

  /**
   * The breaker of {@code lane} for the master at {@code address} ({@code host:port}), for commands
   * sent to that master's own connection (sharded subscribes); {@code partitions}, when known, to
   * drop those of former masters.
   */
  CircuitBreaker at(CircuitBreaker lane, String address, @Nullable Partitions partitions) {
    String name = lane.getName() + "@" + address;
    CircuitBreaker known = byName.get(name);
    if (known != null) {
      return known;
    }
    if (partitions != null) {
      forgetFormerMasters(partitions);
    }
    return byName.computeIfAbsent(
        name, made -> registry.circuitBreaker(made, lane.getCircuitBreakerConfig()));
  }

  private void forgetFormerMasters(Partitions partitions) {
    Set<String> masters =
        partitions.stream()
            .filter(node -> node.getRole().isUpstream() && !node.getSlots().isEmpty())
            .map(node -> address(node.getUri()))
            .collect(Collectors.toSet());
    byName
        .keySet()
        .removeIf(
            name -> {
              boolean former = !masters.contains(name.substring(name.indexOf('@') + 1));
              if (former) {
                registry.remove(name);
              }
              return former;
            });
  }

  private static String address(RedisURI uri) {
    return uri.getHost() + ":" + uri.getPort();
  }
}
