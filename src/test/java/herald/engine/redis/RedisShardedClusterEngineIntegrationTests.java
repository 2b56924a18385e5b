package herald.engine.redis;

import herald.engine.Engine;
import herald.engine.EngineContractTests;
import herald.support.RedisClusterExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The engine contract on a real Redis Cluster (sharded pub/sub), as on a standalone Redis. */
class RedisShardedClusterEngineIntegrationTests extends EngineContractTests {

  @RegisterExtension static final RedisClusterExtension cluster = new RedisClusterExtension();

  private RedisEngine redisEngine;

  @Override
  protected Engine createEngine() {
    redisEngine = RedisEngines.ready(RedisProperties.ofCluster(cluster.urls()));
    return redisEngine;
  }

  @AfterEach
  void close() {
    redisEngine.close();
  }
}
