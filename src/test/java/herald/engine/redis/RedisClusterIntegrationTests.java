package herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.EngineListener;
import herald.engine.EngineUnavailableException;
import herald.support.RedisServerExtension;
import io.lettuce.core.KillArgs;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Two nodes (two Redis engines, each with its own Lettuce clients) on one Redis: the same sequence
 * everywhere, across pub/sub reconnects and a Redis restart (README "Cluster").
 */
class RedisClusterIntegrationTests {

  /**
   * "At once" on a shared, busy machine: far below what waiting for Redis would take with a pile-up
   * of requests, yet loose enough that a slow scheduler cannot fail it.
   */
  private static final Duration FAIL_FAST = Duration.ofSeconds(3);

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  // This class kills connections and restarts Redis, so it has a server of its own.
  @RegisterExtension static final RedisServerExtension redis = RedisServerExtension.dedicated();

  private final Recorder onA = new Recorder();
  private final Recorder onB = new Recorder();
  private RedisEngine nodeA;
  private RedisEngine nodeB;

  @BeforeEach
  void startNodes() {
    redis.start();
    nodeA = node(onA);
    nodeB = node(onB);
  }

  @AfterEach
  void stopNodes() {
    nodeA.close();
    nodeB.close();
  }

  private static RedisEngine node(EngineListener listener) {
    return node(listener, RedisProperties.of(redis.url()));
  }

  private static RedisEngine node(EngineListener listener, RedisProperties properties) {
    RedisEngine engine = RedisEngines.ready(properties);
    engine.attach(listener);
    return engine;
  }

  @Test
  void publicationsOnOneNodeReachTheOtherWithTheSameOffsets() {
    ChannelName channel = channel("news");
    subscribe(nodeB, channel);
    List<Publication> published = publish(nodeA, channel, 1, 20).collectList().block(TIMEOUT);

    await()
        .atMost(TIMEOUT)
        .untilAsserted(() -> assertThat(onB.publications).containsExactlyElementsOf(published));
    assertThat(onB.publications)
        .extracting(Publication::epoch)
        .containsOnly(published.get(0).epoch());
  }

  @Test
  void interleavedPublishersOnBothNodesGiveBothTheSameGaplessSequence() {
    ChannelName channel = channel("news");
    subscribe(nodeA, channel);
    subscribe(nodeB, channel);

    List<Publication> published =
        Flux.merge(publish(nodeA, channel, 1, 100), publish(nodeB, channel, 1001, 100))
            .collectList()
            .block(TIMEOUT);

    assertThat(published).hasSize(200);
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(onB.offsets()).hasSize(200));
    assertThat(onA.offsets()).containsExactlyElementsOf(oneTo(200));
    assertThat(onB.offsets()).containsExactlyElementsOf(oneTo(200));
    assertThat(onB.publications).containsExactlyElementsOf(onA.publications);
  }

  @Test
  void killedPubSubConnectionsLoseNothingAndDuplicateNothing() {
    // race keeps 100,000 publications: whatever the reconnect misses is still in the history.
    ChannelName channel = channel("race");
    subscribe(nodeB, channel);

    Flux.range(1, 300)
        .concatMap(
            n ->
                n == 150
                    ? killPubSubConnections().then(publishOne(nodeA, channel, n))
                    : publishOne(nodeA, channel, n))
        .then()
        .block(TIMEOUT);

    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(onB.offsets()).hasSize(300));
    assertThat(onB.offsets()).containsExactlyElementsOf(oneTo(300));
    assertThat(onB.publications)
        .extracting(publication -> publication.data().asInt())
        .containsExactlyElementsOf(LongStream.rangeClosed(1, 300).mapToObj(n -> (int) n).toList());
  }

  @Test
  void publishFailsFastWhileRedisIsDownAndDeliveryResumesWhenItReturns() {
    ChannelName channel = channel("news");
    subscribe(nodeB, channel);
    publish(nodeA, channel, 1, 3).then().block(TIMEOUT);
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(onB.offsets()).hasSize(3));

    redis.stop();
    try {
      for (int attempt = 0; attempt < 3; attempt++) {
        long started = System.nanoTime();
        StepVerifier.create(publishOne(nodeA, channel, 100 + attempt))
            .expectError(EngineUnavailableException.class)
            .verify(Duration.ofSeconds(1));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(FAIL_FAST);
      }
    } finally {
      redis.start();
    }

    // Redis came back empty: the channel starts a new epoch, which node B takes as a new sequence.
    Publication afterRestart =
        await()
            .atMost(TIMEOUT)
            .ignoreExceptionsInstanceOf(EngineUnavailableException.class)
            .until(() -> publishOne(nodeA, channel, 200).block(TIMEOUT), p -> p != null);
    await()
        .atMost(TIMEOUT)
        .untilAsserted(() -> assertThat(onB.publications).contains(afterRestart));
    assertThat(afterRestart.epoch()).isNotEqualTo(onB.publications.get(0).epoch());
    assertThat(onB.offsets()).containsExactly(1L, 2L, 3L, afterRestart.offset());
    // Never a silent jump: the new sequence was announced before its first publication.
    assertThat(onB.events)
        .containsSubsequence(
            onB.publications.get(2),
            new StreamPosition(afterRestart.offset() - 1, afterRestart.epoch()),
            afterRestart);
    assertThat(onB.resets).hasSize(1);
  }

  @Test
  void aNodeStartedWhileRedisIsDownFailsFastThenConnectsByItselfAndDelivers() {
    ChannelName channel = channel("news");
    Recorder onC = new Recorder();
    redis.stop();
    RedisEngine nodeC = RedisEngines.starting(RedisProperties.of(redis.url()));
    try {
      nodeC.attach(onC);
      StepVerifier.create(nodeC.ping())
          .expectError(EngineUnavailableException.class)
          .verify(Duration.ofSeconds(1));
      StepVerifier.create(publishOne(nodeC, channel, 1))
          .expectError(EngineUnavailableException.class)
          .verify(Duration.ofSeconds(1));
      StepVerifier.create(nodeC.subscribe(channel))
          .expectError(EngineUnavailableException.class)
          .verify(Duration.ofSeconds(1));

      redis.start();
      RedisEngines.awaitReady(nodeC);
      subscribe(nodeC, channel);
      List<Publication> published = publish(nodeC, channel, 1, 3).collectList().block(TIMEOUT);

      await()
          .atMost(TIMEOUT)
          .untilAsserted(() -> assertThat(onC.publications).containsExactlyElementsOf(published));
      assertThat(onC.resets).isEmpty();
    } finally {
      nodeC.close();
    }
  }

  @Test
  void aChannelFlushedFromRedisIsAResetForItsSubscribersThenItsNewSequenceFollows() {
    ChannelName channel = channel("news");
    subscribe(nodeB, channel);
    List<Publication> before = publish(nodeA, channel, 1, 3).collectList().block(TIMEOUT);
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(onB.publications).hasSize(3));

    StepVerifier.create(nodeA.connector().call(commands -> commands.flushall()))
        .expectNext("OK")
        .expectComplete()
        .verify(TIMEOUT);
    List<Publication> after = publish(nodeA, channel, 1, 2).collectList().block(TIMEOUT);

    assertThat(after).extracting(Publication::offset).containsExactly(1L, 2L);
    assertThat(after.get(0).epoch()).isNotEqualTo(before.get(0).epoch());
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(onB.publications).hasSize(5));
    assertThat(onB.events)
        .containsExactly(
            before.get(0),
            before.get(1),
            before.get(2),
            new StreamPosition(0, after.get(0).epoch()),
            after.get(0),
            after.get(1));
  }

  @Test
  void aGapTheHistoryNoLongerHoldsIsAResetNeverASilentJump() {
    ChannelName channel = channel("news");
    subscribe(nodeB, channel);
    List<Publication> first = publish(nodeA, channel, 1, 2).collectList().block(TIMEOUT);
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(onB.publications).hasSize(2));

    // Offset 3 is published where node B does not listen (a lost pub/sub message), then the
    // history is lost: node B can neither receive nor recover it.
    String[] keys = {RedisKeys.meta(channel), RedisKeys.history(channel), "herald:test:nowhere"};
    String[] args = {"unused", "3", "0", "", "100", "300000", "3600000", "herald:test:nowhere"};
    StepVerifier.create(nodeA.connector().run(RedisScripts.PUBLISH, keys, args))
        .expectNextCount(1)
        .expectComplete()
        .verify(TIMEOUT);
    StepVerifier.create(nodeA.connector().call(c -> c.del(RedisKeys.history(channel))))
        .expectNext(1L)
        .expectComplete()
        .verify(TIMEOUT);
    Publication fourth = publishOne(nodeA, channel, 4).block(TIMEOUT);

    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(onB.publications).hasSize(3));
    assertThat(onB.events)
        .containsExactly(first.get(0), first.get(1), new StreamPosition(3, fourth.epoch()), fourth);
  }

  @Test
  void aListenerHearsItsChannelAfterALateStartAndAcrossARedisRestart() {
    String control = "herald:test:control-" + System.nanoTime();
    List<String> heard = new CopyOnWriteArrayList<>();
    redis.stop();
    RedisEngine late = RedisEngines.starting(RedisProperties.of(redis.url()));
    try {
      Disposable listening = late.connector().listen(control, heard::add);
      redis.start();
      publishUntilHeard(control, "one");
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(heard).containsExactly("one"));

      redis.stop();
      redis.start();
      publishUntilHeard(control, "two");
      await().atMost(TIMEOUT).untilAsserted(() -> assertThat(heard).containsExactly("one", "two"));

      listening.dispose();
      await()
          .atMost(TIMEOUT)
          .until(
              () -> nodeA.connector().call(c -> c.publish(control, "three")).block(TIMEOUT) == 0);
      assertThat(heard).containsExactly("one", "two");
    } finally {
      late.close();
    }
  }

  /** Publishes {@code message} on {@code redisChannel} once a subscriber is there to receive it. */
  private void publishUntilHeard(String redisChannel, String message) {
    await()
        .atMost(TIMEOUT)
        .ignoreExceptionsInstanceOf(EngineUnavailableException.class)
        .until(
            () -> nodeA.connector().call(c -> c.publish(redisChannel, message)).block(TIMEOUT),
            receivers -> receivers > 0);
  }

  @Test
  void presenceAndJoinLeaveAreClusterWide() {
    ChannelName channel = channel("chat:room");
    ClientInfo alice = new ClientInfo("alice", "c-alice", "node-a");
    subscribe(nodeA, channel);
    subscribe(nodeB, channel);

    StepVerifier.create(nodeA.join(channel, alice)).expectComplete().verify(TIMEOUT);
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(onB.joins).containsExactly(alice));
    assertThat(onA.joins).containsExactly(alice);
    StepVerifier.create(nodeB.presence(channel))
        .assertNext(clients -> assertThat(clients).containsExactly(alice))
        .expectComplete()
        .verify(TIMEOUT);

    StepVerifier.create(nodeA.leave(channel, alice)).expectComplete().verify(TIMEOUT);
    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(onB.leaves).containsExactly(alice));
    assertThat(onA.leaves).containsExactly(alice);
    StepVerifier.create(nodeB.presence(channel))
        .assertNext(clients -> assertThat(clients).isEmpty())
        .expectComplete()
        .verify(TIMEOUT);
  }

  @Test
  void presenceOfANodeThatDiedExpiresWhileALiveNodeKeepsItsOwn() {
    ChannelName channel = channel("chat:room");
    RedisProperties shortPresence =
        new RedisProperties(
            redis.url(),
            Duration.ofSeconds(1),
            Duration.ofSeconds(2),
            1,
            Duration.ofMillis(900),
            Duration.ofSeconds(1),
            64,
            10_000,
            false,
            Duration.ofSeconds(5));
    RedisEngine dying = node(new Recorder(), shortPresence);
    RedisEngine living = node(new Recorder(), shortPresence);
    ClientInfo ghost = new ClientInfo("ghost", "c-ghost", "node-dead");
    ClientInfo bob = new ClientInfo("bob", "c-bob", "node-live");
    try {
      StepVerifier.create(dying.join(channel, ghost).then(living.join(channel, bob)))
          .expectComplete()
          .verify(TIMEOUT);
      dying.close();

      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> assertThat(nodeB.presence(channel).block(TIMEOUT)).containsExactly(bob));
      // Still there after several TTLs: the living node refreshes its entries.
      await()
          .pollDelay(Duration.ofSeconds(2))
          .atMost(TIMEOUT)
          .untilAsserted(
              () -> assertThat(nodeB.presence(channel).block(TIMEOUT)).containsExactly(bob));
    } finally {
      living.close();
    }
  }

  private static void subscribe(RedisEngine node, ChannelName channel) {
    StepVerifier.create(node.subscribe(channel)).expectComplete().verify(TIMEOUT);
  }

  private static Flux<Publication> publish(
      RedisEngine node, ChannelName channel, int first, int count) {
    return Flux.range(first, count).concatMap(n -> publishOne(node, channel, n));
  }

  private static Mono<Publication> publishOne(RedisEngine node, ChannelName channel, int n) {
    JsonNode data = JsonNodeFactory.instance.numberNode(n);
    return node.publish(channel, data, null);
  }

  /** {@code CLIENT KILL TYPE pubsub}, from a connection of the test's own. */
  private static Mono<Void> killPubSubConnections() {
    return Mono.using(
            () -> RedisClient.create(redis.url()),
            client ->
                Mono.fromCompletionStage(
                        client.connectAsync(
                            io.lettuce.core.codec.StringCodec.UTF8,
                            io.lettuce.core.RedisURI.create(redis.url())))
                    .flatMap(
                        connection ->
                            connection
                                .reactive()
                                .clientKill(KillArgs.Builder.typePubsub())
                                .doOnNext(killed -> assertThat(killed).isPositive())
                                .doFinally(signal -> connection.closeAsync())),
            RedisClient::shutdownAsync)
        .then();
  }

  private static ChannelName channel(String name) {
    return ChannelName.of(name + "-" + System.nanoTime());
  }

  private static List<Long> oneTo(long n) {
    return LongStream.rangeClosed(1, n).boxed().toList();
  }

  /** Records one node's deliveries. */
  private static final class Recorder implements EngineListener {
    final List<Publication> publications = new CopyOnWriteArrayList<>();
    final List<ClientInfo> joins = new CopyOnWriteArrayList<>();
    final List<ClientInfo> leaves = new CopyOnWriteArrayList<>();
    final List<StreamPosition> resets = new CopyOnWriteArrayList<>();
    // Publications and resets in the order they came.
    final List<Object> events = new CopyOnWriteArrayList<>();

    List<Long> offsets() {
      return publications.stream().map(Publication::offset).toList();
    }

    @Override
    public void onPublication(Publication publication) {
      publications.add(publication);
      events.add(publication);
    }

    @Override
    public void onJoin(ChannelName channel, ClientInfo client) {
      joins.add(client);
    }

    @Override
    public void onLeave(ChannelName channel, ClientInfo client) {
      leaves.add(client);
    }

    @Override
    public void onReset(ChannelName channel, StreamPosition position) {
      resets.add(position);
      events.add(position);
    }
  }
}
