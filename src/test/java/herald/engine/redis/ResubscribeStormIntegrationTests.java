package herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.EngineUnavailableException;
import herald.engine.HistoryPage;
import herald.engine.HistoryQuery;
import herald.registry.ChannelRegistry;
import herald.registry.Recovery;
import herald.registry.Subscriber;
import herald.registry.Subscription;
import herald.support.RedisServerExtension;
import herald.support.TestIds;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * A reconnect storm against one node on a real Redis: many subscribers resubscribing at once cost a
 * bounded number of Redis reads and still get every publication exactly once, and a burst of
 * subscriber work, failing or queued, never stops publishing.
 */
class ResubscribeStormIntegrationTests {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final Pattern CALLS = Pattern.compile("cmdstat_hmget:calls=(\\d+)");

  // Counts commands with INFO commandstats, so no other test class may use this server.
  @RegisterExtension static final RedisServerExtension redis = RedisServerExtension.dedicated();

  private static RedisClient client;
  private static StatefulRedisConnection<String, String> direct;
  private final List<RedisEngine> engines = new ArrayList<>();

  @BeforeAll
  static void connect() {
    client = RedisClient.create(redis.url());
    direct = client.connect();
  }

  @AfterAll
  static void disconnect() {
    direct.close();
    client.shutdown();
  }

  @AfterEach
  void closeEngines() {
    engines.forEach(RedisEngine::close);
  }

  private RedisEngine node(int maxInFlight, int maxQueued) {
    RedisProperties defaults = RedisProperties.of(redis.url());
    RedisEngine engine =
        RedisEngines.ready(
            new RedisProperties(
                defaults.url(),
                Duration.ofSeconds(2),
                defaults.connectTimeout(),
                defaults.pubsubConnections(),
                defaults.presenceTtl(),
                Duration.ofSeconds(30),
                maxInFlight,
                maxQueued,
                false,
                defaults.topologyRefresh()));
    engines.add(engine);
    return engine;
  }

  @Test
  void thousandsResubscribingToOneChannelShareAFewReadsAndGetEveryPublicationOnce() {
    RedisEngine engine = node(64, 10_000);
    ChannelRegistry registry = new ChannelRegistry(engine, 10_000);
    ChannelName channel = ChannelName.of(TestIds.next("race:storm-"));
    List<Publication> before = publish(engine, channel, 100);
    String epoch = before.get(0).epoch();
    Random random = new Random(42);
    List<Recorded> subscribers = new ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      subscribers.add(new Recorded(new StreamPosition(random.nextInt(101), epoch)));
    }
    long readsBefore = historyReads();

    // Everybody at once, while a publisher goes on: what the survivors of a node see.
    List<Subscription> held = new CopyOnWriteArrayList<>();
    Mono<Void> storm =
        Flux.fromIterable(subscribers)
            .flatMap(
                subscriber ->
                    registry.subscribe(
                        channel, subscriber.since, subscriber, subscriber.recovery::set),
                subscribers.size())
            .doOnNext(held::add)
            .then();
    Mono<Void> publishing =
        Flux.range(101, 50)
            .concatMap(n -> engine.publish(channel, JsonNodeFactory.instance.numberNode(n), null))
            .then();
    Mono.when(storm, publishing).block(TIMEOUT);

    assertThat(held).hasSize(subscribers.size());
    await()
        .atMost(TIMEOUT)
        .until(() -> subscribers.stream().allMatch(subscriber -> subscriber.last() == 150));
    for (Recorded subscriber : subscribers) {
      long from = subscriber.since.offset() + 1;
      assertThat(subscriber.offsets())
          .containsExactlyElementsOf(LongStream.rangeClosed(from, 150).boxed().toList());
      assertThat(subscriber.recovery.get().recovered()).isTrue();
    }
    // One read for the channel's position when the node subscribed, then shared recovery reads:
    // without sharing this would be 3,001. How many rounds the sharing takes depends on how the
    // storm and the publisher interleave (2-10 on a quiet machine, 13 seen once).
    assertThat(historyReads() - readsBefore).isBetween(2L, 30L);
    held.forEach(registry::unsubscribe);
  }

  @Test
  void recoveryReadsThatFailOpenOnlyTheirOwnBreakerAndPublishingGoesOn() {
    RedisEngine engine = node(2, 1_000);
    ChannelName healthy = ChannelName.of(TestIds.next("news-"));
    List<ChannelName> broken = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      ChannelName channel = ChannelName.of(TestIds.next("broken-"));
      // A channel with a sequence but a history of the wrong type: every read of it fails in Redis.
      direct.sync().hset(RedisKeys.meta(channel), Map.of("epoch", "e1", "offset", "3"));
      direct.sync().set(RedisKeys.history(channel), "not a list");
      broken.add(channel);
    }
    StreamPosition since = new StreamPosition(0, "some-epoch");

    AtomicInteger failedReads = new AtomicInteger();
    Flux.fromIterable(broken)
        .flatMap(
            channel ->
                engine
                    .history(channel, HistoryQuery.after(since))
                    .doOnError(error -> failedReads.incrementAndGet())
                    .onErrorResume(error -> Mono.empty()))
        .then()
        .block(TIMEOUT);
    assertThat(failedReads).hasValue(broken.size());

    // The subscriber lane's breaker is open now: presence, history and subscribes answer 503 ...
    AtomicReference<Throwable> refused = new AtomicReference<>();
    engine
        .presence(healthy)
        .doOnError(refused::set)
        .onErrorResume(error -> Mono.empty())
        .block(TIMEOUT);
    assertThat(refused.get())
        .isInstanceOf(EngineUnavailableException.class)
        .hasMessageContaining("circuit open");
    // ... while publishing, behind its own breaker, goes on.
    assertThat(publish(engine, healthy, 20))
        .extracting(Publication::offset)
        .containsExactlyElementsOf(LongStream.rangeClosed(1, 20).boxed().toList());
  }

  @Test
  void aBurstOfSubscriberWorkQueuesBoundedRefusesTheExcessAndNeverHoldsUpPublishing() {
    RedisEngine engine = node(2, 50);
    ChannelName news = ChannelName.of(TestIds.next("news-"));
    ConcurrentLinkedQueue<Throwable> refusals = new ConcurrentLinkedQueue<>();
    AtomicInteger answered = new AtomicInteger();
    StreamPosition since = new StreamPosition(0, "some-epoch");
    ClientInfo alice = new ClientInfo("alice", "c-1", "node");

    // Redis holds every command for a moment, so the burst cannot drain while it is fired.
    direct.sync().clientPause(700);
    // 400 pieces of subscriber work on distinct channels at once: none can share a read.
    Mono<Void> burst =
        Flux.range(0, 400)
            .flatMap(
                n -> {
                  ChannelName channel = ChannelName.of(TestIds.next("burst-" + n + "-"));
                  Mono<?> work =
                      n % 2 == 0
                          ? engine.history(channel, HistoryQuery.after(since))
                          : engine.join(channel, alice).thenReturn(n);
                  return work.doOnSuccess(done -> answered.incrementAndGet())
                      .doOnError(refusals::add)
                      .onErrorResume(error -> Mono.empty());
                },
                400)
            .then();
    Mono<List<Publication>> publishing =
        Flux.range(1, 20)
            .concatMap(n -> engine.publish(news, JsonNodeFactory.instance.numberNode(n), null))
            .collectList();
    List<Publication> published =
        Mono.zip(burst.thenReturn(true), publishing).block(TIMEOUT).getT2();

    assertThat(published).extracting(Publication::offset).hasSize(20).doesNotHaveDuplicates();
    // Two on the connection and fifty waiting at most: the rest of the burst is refused at once.
    assertThat(refusals)
        .isNotEmpty()
        .allSatisfy(
            error ->
                assertThat(error)
                    .isInstanceOf(EngineUnavailableException.class)
                    .hasMessageContaining("busy"));
    assertThat(answered.get()).isGreaterThanOrEqualTo(52);
    assertThat(answered.get() + refusals.size()).isEqualTo(400);
    // Refusals do not count as Redis failures: the lane still works.
    HistoryPage page =
        engine
            .history(news, HistoryQuery.after(new StreamPosition(15, published.get(0).epoch())))
            .block(TIMEOUT);
    assertThat(page.publications())
        .extracting(Publication::offset)
        .containsExactly(16L, 17L, 18L, 19L, 20L);
  }

  private static List<Publication> publish(RedisEngine engine, ChannelName channel, int count) {
    return Flux.range(1, count)
        .concatMap(n -> engine.publish(channel, JsonNodeFactory.instance.numberNode(n), null))
        .collectList()
        .block(TIMEOUT);
  }

  /** History script runs so far: {@code LLEN} appears in no other script. */
  private static long historyReads() {
    Matcher calls = CALLS.matcher(direct.sync().info("commandstats"));
    return calls.find() ? Long.parseLong(calls.group(1)) : 0;
  }

  /** A subscriber that records what it receives. */
  private static final class Recorded implements Subscriber {
    final StreamPosition since;
    final AtomicReference<Recovery> recovery = new AtomicReference<>();
    final List<Publication> publications = new CopyOnWriteArrayList<>();

    Recorded(StreamPosition since) {
      this.since = since;
    }

    List<Long> offsets() {
      return publications.stream().map(Publication::offset).toList();
    }

    long last() {
      return publications.isEmpty()
          ? since.offset()
          : publications.get(publications.size() - 1).offset();
    }

    @Override
    public void onPublication(Publication publication) {
      publications.add(publication);
    }

    @Override
    public void onJoin(ChannelName channel, ClientInfo client) {}

    @Override
    public void onLeave(ChannelName channel, ClientInfo client) {}

    @Override
    public void onReset(ChannelName channel, StreamPosition position) {}

    @Override
    public void onOverflow(ChannelName channel) {}
  }
}
