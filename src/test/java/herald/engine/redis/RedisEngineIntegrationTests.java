package herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.engine.Engine;
import herald.engine.EngineContractTests;
import herald.engine.HistoryQuery;
import herald.support.RedisServerExtension;
import herald.support.TestChannelOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

/** The engine contract against a real Redis, plus what only the Redis engine does. */
class RedisEngineIntegrationTests extends EngineContractTests {

  @RegisterExtension static final RedisServerExtension redis = RedisServerExtension.shared();

  private RedisEngine redisEngine;

  @Override
  protected Engine createEngine() {
    redisEngine =
        new RedisEngine(
            RedisProperties.of(redis.url()), new TestChannelOptions(), JsonMapper.shared());
    return redisEngine;
  }

  @AfterEach
  void close() {
    redisEngine.close();
  }

  @Test
  void anUnreachableRedisFailsStartUpNamingTheSetting() throws Exception {
    int port;
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    String url = "redis://127.0.0.1:" + port;
    assertThatThrownBy(
            () ->
                new RedisEngine(
                    RedisProperties.of(url), new TestChannelOptions(), JsonMapper.shared()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("herald.redis.url");
  }

  @Test
  void historyOfAnUnpublishedChannelHasTheEpochItsFirstPublicationGets() {
    ChannelName channel = channel("news");
    String[] epoch = new String[1];
    StepVerifier.create(engine.history(channel, HistoryQuery.positionOnly()))
        .assertNext(
            page -> {
              assertThat(page.latest().offset()).isZero();
              epoch[0] = page.latest().epoch();
            })
        .expectComplete()
        .verify(TIMEOUT);
    Publication first = publishAll(channel, 1).get(0);
    assertThat(first.epoch()).isEqualTo(epoch[0]);
  }

  @Test
  void publicationKeepsItsPublisherAndDataThroughHistory() {
    ChannelName channel = channel("chat:room");
    Publication published =
        engine
            .publish(
                channel, JsonMapper.shared().readTree("{\"text\":\"hi \\\"there\\\"\"}"), "alice")
            .block(TIMEOUT);
    StepVerifier.create(engine.history(channel, new HistoryQuery(null, HistoryQuery.ALL)))
        .assertNext(
            page -> {
              Publication read = page.publications().get(0);
              assertThat(read).isEqualTo(published);
              assertThat(read.from()).isEqualTo("alice");
              assertThat(read.ts()).isEqualTo(published.ts());
              assertThat(read.data()).isEqualTo(published.data());
            })
        .expectComplete()
        .verify(TIMEOUT);
  }

  @Test
  void presenceWithoutJoinLeaveIsListedButNotAnnounced() {
    ChannelName channel = channel("news");
    ClientInfo bob = new ClientInfo("bob", "c2", "node-1");
    StepVerifier.create(engine.subscribe(channel).then(engine.join(channel, bob)))
        .expectComplete()
        .verify(TIMEOUT);
    StepVerifier.create(engine.presence(channel))
        .assertNext(clients -> assertThat(clients).containsExactly(bob))
        .expectComplete()
        .verify(TIMEOUT);
    assertThat(listener.joins()).isEmpty();
  }
}
