package herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.Engine;
import herald.engine.EngineContractTests;
import herald.engine.EngineUnavailableException;
import herald.engine.HistoryQuery;
import herald.engine.PublishOutcome;
import herald.support.RedisServerExtension;
import herald.support.TestChannelOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

  @Test
  void aRepeatOnAnotherNodeAnswersTheFirstResultAndPublishesNothing() {
    RedisEngine other = RedisEngines.ready(RedisProperties.of(redis.url()));
    try {
      ChannelName channel = channel("news");
      PublishOutcome first =
          engine.publishOnce(channel, data(1), "retry-1", Duration.ofMinutes(5)).block(TIMEOUT);
      PublishOutcome repeat =
          other.publishOnce(channel, data(1), "retry-1", Duration.ofMinutes(5)).block(TIMEOUT);
      assertThat(repeat.repeat()).isTrue();
      assertThat(repeat.position()).isEqualTo(first.position());
      assertThat(publishAll(channel, 1).get(0).offset()).isEqualTo(2);
    } finally {
      other.close();
    }
  }

  @Test
  void anIdempotencyKeyExpiresWithItsWindowInRedis() {
    ChannelName channel = channel("news");
    Duration window = Duration.ofMillis(300);
    PublishOutcome first = engine.publishOnce(channel, data(1), "k", window).block(TIMEOUT);
    // Each attempt before the window ends is a repeat; the first one after it publishes.
    PublishOutcome[] again = new PublishOutcome[1];
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> {
              again[0] = engine.publishOnce(channel, data(1), "k", window).block(TIMEOUT);
              return !again[0].repeat();
            });
    assertThat(again[0].position().offset()).isEqualTo(first.position().offset() + 1);
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
  void historyReadsWriteNothing() {
    ChannelName unknown = channel("news");
    ChannelName known = channel("news");
    publishAll(known, 3);
    try (RedisClient client = RedisClient.create(redis.url());
        StatefulRedisConnection<String, String> direct = client.connect()) {
      long keys = direct.sync().dbsize();
      long metaTtl = direct.sync().pttl(RedisKeys.meta(known));
      for (ChannelName channel : List.of(unknown, known)) {
        for (HistoryQuery query :
            List.of(
                HistoryQuery.positionOnly(),
                new HistoryQuery(null, HistoryQuery.ALL),
                HistoryQuery.after(new StreamPosition(1, "some-epoch")))) {
          StepVerifier.create(engine.history(channel, query))
              .expectNextCount(1)
              .expectComplete()
              .verify(TIMEOUT);
        }
      }
      assertThat(direct.sync().dbsize()).as("no key created").isEqualTo(keys);
      assertThat(direct.sync().exists(RedisKeys.meta(unknown))).isZero();
      assertThat(direct.sync().pttl(RedisKeys.meta(known)))
          .as("no TTL extended")
          .isLessThanOrEqualTo(metaTtl);
    }
  }

  @Test
  void aHistoryReadIsOneLrangeAndNoLindex() {
    ChannelName channel = channel("news");
    publishAll(channel, 5);
    try (RedisClient client = RedisClient.create(redis.url());
        StatefulRedisConnection<String, String> direct = client.connect()) {
      Map<String, Long> before = commandCalls(direct);
      StepVerifier.create(engine.history(channel, new HistoryQuery(null, 2)))
          .assertNext(
              page ->
                  assertThat(page.publications())
                      .extracting(Publication::offset)
                      .containsExactly(1L, 2L))
          .expectComplete()
          .verify(TIMEOUT);
      Map<String, Long> after = commandCalls(direct);
      assertThat(after.getOrDefault("lindex", 0L)).isEqualTo(before.getOrDefault("lindex", 0L));
      assertThat(after.getOrDefault("lrange", 0L) - before.getOrDefault("lrange", 0L)).isOne();
    }
  }

  /** Calls per command since the server started, from {@code INFO commandstats}. */
  private static Map<String, Long> commandCalls(StatefulRedisConnection<String, String> direct) {
    Map<String, Long> calls = new HashMap<>();
    for (String line : direct.sync().info("commandstats").split("\r?\n")) {
      Matcher matcher = COMMAND_STAT.matcher(line);
      if (matcher.find()) {
        calls.put(matcher.group(1), Long.parseLong(matcher.group(2)));
      }
    }
    return calls;
  }

  private static final Pattern COMMAND_STAT = Pattern.compile("^cmdstat_([a-z|]+):calls=(\\d+)");

  @Test
  void aChannelWhoseSequenceIsLostWhileSubscribedIsResetThenDeliveredOnItsNewEpoch() {
    ChannelName channel = channel("news");
    StepVerifier.create(engine.subscribe(channel)).expectComplete().verify(TIMEOUT);
    Publication old = publishAll(channel, 2).get(1);
    try (RedisClient client = RedisClient.create(redis.url());
        StatefulRedisConnection<String, String> direct = client.connect()) {
      direct.sync().del(RedisKeys.meta(channel), RedisKeys.history(channel));
    }
    Publication fresh = publishAll(channel, 1).get(0);
    assertThat(fresh.epoch()).isNotEqualTo(old.epoch());
    await().atMost(TIMEOUT).until(() -> listener.publications().contains(fresh));
    assertThat(listener.resets())
        .as("told once, with a position of the new epoch, before its first publication")
        .hasSize(1)
        .allSatisfy(position -> assertThat(position.epoch()).isEqualTo(fresh.epoch()));
    assertThat(listener.publications()).extracting(Publication::offset).containsExactly(1L, 2L, 1L);
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
