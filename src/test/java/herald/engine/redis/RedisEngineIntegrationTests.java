package herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.engine.Engine;
import herald.engine.EngineContractTests;
import herald.engine.EngineUnavailableException;
import herald.engine.HistoryQuery;
import herald.support.RedisServerExtension;
import herald.support.TestChannelOptions;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

/** The engine contract against a real Redis, plus what only the Redis engine does. */
class RedisEngineIntegrationTests extends EngineContractTests {

  @RegisterExtension static final RedisServerExtension redis = RedisServerExtension.shared();

  private RedisEngine redisEngine;

  @Override
  protected Engine createEngine() {
    redisEngine = RedisEngines.ready(RedisProperties.of(redis.url()));
    return redisEngine;
  }

  @AfterEach
  void close() {
    redisEngine.close();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "not a url",
        "http://127.0.0.1:6379",
        "redis://",
        "redis://:s3cr3t x@127.0.0.1",
        "redis-sentinel://127.0.0.1:26379"
      })
  void aMalformedUrlFailsStartUpNamingTheSettingButNotThePassword(String url) {
    assertThatThrownBy(
            () ->
                new RedisEngine(
                    RedisProperties.of(url), new TestChannelOptions(), JsonMapper.shared()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("herald.redis.url")
        .hasMessageNotContaining("s3cr3t")
        .hasNoCause();
  }

  @Test
  void anUnreachableRedisIsNoStartUpErrorAndEveryCallFailsFastMeanwhile() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    RedisEngine unreachable =
        new RedisEngine(
            RedisProperties.of("redis://127.0.0.1:" + port),
            new TestChannelOptions(),
            JsonMapper.shared());
    try {
      ChannelName channel = channel("news");
      StepVerifier.create(unreachable.ping())
          .expectError(EngineUnavailableException.class)
          .verify(Duration.ofSeconds(1));
      StepVerifier.create(unreachable.publish(channel, JsonMapper.shared().readTree("1"), null))
          .expectError(EngineUnavailableException.class)
          .verify(Duration.ofSeconds(1));
      StepVerifier.create(unreachable.subscribe(channel))
          .expectError(EngineUnavailableException.class)
          .verify(Duration.ofSeconds(1));
      StepVerifier.create(unreachable.history(channel, HistoryQuery.positionOnly()))
          .expectError(EngineUnavailableException.class)
          .verify(Duration.ofSeconds(1));
    } finally {
      unreachable.close();
    }
  }

  @Test
  void theUrlMaySelectADatabase() {
    RedisEngine inDatabase3 = RedisEngines.ready(RedisProperties.of(redis.url() + "/3"));
    try {
      ChannelName channel = channel("news");
      StepVerifier.create(inDatabase3.publish(channel, data(1), null))
          .expectNextCount(1)
          .expectComplete()
          .verify(TIMEOUT);
      // Database 0 (the contract engine's) does not hold the channel; database 3 does.
      StepVerifier.create(engine.history(channel, HistoryQuery.positionOnly()))
          .assertNext(page -> assertThat(page.latest().offset()).isZero())
          .expectComplete()
          .verify(TIMEOUT);
      StepVerifier.create(inDatabase3.history(channel, HistoryQuery.positionOnly()))
          .assertNext(page -> assertThat(page.latest().offset()).isEqualTo(1))
          .expectComplete()
          .verify(TIMEOUT);
    } finally {
      inDatabase3.close();
    }
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
