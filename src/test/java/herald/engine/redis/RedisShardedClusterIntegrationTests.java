package herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.channel.ChannelName;
import herald.channel.Publication;
import herald.engine.EngineUnavailableException;
import herald.engine.HistoryQuery;
import herald.support.RedisClusterExtension;
import herald.support.TestIds;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntPredicate;
import java.util.stream.LongStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.util.retry.Retry;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * Three Herald nodes on a real Redis Cluster (three masters, three replicas): offsets and history
 * in every master's slots, one sequence on every node, and no silent gap or reused offset across
 * killed pub/sub connections, a killed master and a slot migration (README "Redis Cluster").
 */
class RedisShardedClusterIntegrationTests {

  private static final Logger log =
      LoggerFactory.getLogger(RedisShardedClusterIntegrationTests.class);

  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  @RegisterExtension static final RedisClusterExtension cluster = new RedisClusterExtension();

  private final SequenceCheck check = new SequenceCheck();
  private final List<SequenceCheck.Node> listeners = new ArrayList<>();
  private final List<RedisEngine> nodes = new ArrayList<>();

  @BeforeEach
  void startNodes() {
    cluster.awaitHealthy();
    for (int i = 0; i < 3; i++) {
      SequenceCheck.Node listener = check.node();
      RedisEngine node = RedisEngines.ready(RedisProperties.ofCluster(cluster.urls()));
      node.attach(listener);
      listeners.add(listener);
      nodes.add(node);
    }
  }

  @AfterEach
  void stopNodes() {
    nodes.forEach(RedisEngine::close);
  }

  @Test
  void offsetsAndHistoryLiveInTheChannelsSlotOnEveryMaster() {
    Map<Integer, List<ChannelName>> byMaster = channelsOnEveryMaster(2);
    assertThat(byMaster).hasSize(3);
    for (List<ChannelName> channels : byMaster.values()) {
      for (ChannelName channel : channels) {
        List<Publication> published = publish(nodes.get(0), channel, 5);
        assertThat(published).extracting(Publication::offset).containsExactly(1L, 2L, 3L, 4L, 5L);
        StepVerifier.create(
                nodes.get(1).history(channel, HistoryQuery.after(published.get(1).position())))
            .assertNext(
                page -> {
                  assertThat(page.recovered()).isTrue();
                  assertThat(page.publications())
                      .containsExactlyElementsOf(published.subList(2, 5));
                })
            .expectComplete()
            .verify(TIMEOUT);
      }
    }
  }

  @Test
  void aThousandPublicationsOverThreeNodesAndTenChannelsMakeOneSequenceEverywhere() {
    List<ChannelName> channels = channels(10);
    channels.forEach(channel -> nodes.forEach(node -> subscribe(node, channel)));
    Random random = new Random(15);
    List<int[]> plan = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      plan.add(new int[] {random.nextInt(3), random.nextInt(10)});
    }
    Flux.fromIterable(plan)
        .flatMap(
            step ->
                publishOne(nodes.get(step[0]), channels.get(step[1]), step[0] * 10_000 + step[1]),
            16)
        .doOnNext(check::published)
        .blockLast(Duration.ofSeconds(60));

    Map<ChannelName, Long> expected = new HashMap<>();
    plan.forEach(step -> expected.merge(channels.get(step[1]), 1L, Long::sum));
    for (SequenceCheck.Node listener : listeners) {
      for (ChannelName channel : channels) {
        await()
            .atMost(TIMEOUT)
            .untilAsserted(
                () ->
                    assertThat(listener.publications(channel))
                        .extracting(Publication::offset)
                        .containsExactlyElementsOf(oneTo(expected.get(channel))));
      }
      assertThat(listener.silentIrregularities()).isEmpty();
    }
    for (ChannelName channel : channels) {
      assertThat(listeners.get(1).publications(channel))
          .isEqualTo(listeners.get(0).publications(channel))
          .isEqualTo(listeners.get(2).publications(channel));
    }
  }

  @Test
  void killedPubSubConnectionsOnEveryMasterLeaveNoGap() {
    List<ChannelName> channels = new ArrayList<>();
    channelsOnEveryMaster(2).values().forEach(channels::addAll);
    channels.forEach(channel -> subscribe(nodes.get(1), channel));
    channels.forEach(channel -> publish(nodes.get(0), channel, 3).forEach(check::published));

    for (int master : cluster.masters()) {
      cluster.cli(master, "CLIENT", "KILL", "TYPE", "pubsub");
    }
    // Published while node 1 is (or may be) resubscribing: what it misses, it reads from history.
    channels.forEach(channel -> publish(nodes.get(0), channel, 3).forEach(check::published));

    for (ChannelName channel : channels) {
      await()
          .atMost(TIMEOUT)
          .untilAsserted(
              () ->
                  assertThat(listeners.get(1).publications(channel))
                      .extracting(Publication::offset)
                      .containsExactlyElementsOf(oneTo(6)));
    }
    assertThat(listeners.get(1).silentIrregularities()).isEmpty();
    await().atMost(TIMEOUT).until(() -> nodes.get(1).pubSubConnected());
  }

  @Test
  void shardedPublicationsNeverCrossTheClusterBusWhereClassicOnesReachEveryNode() {
    List<ChannelName> channels = channels(10);
    channels.forEach(channel -> subscribe(nodes.get(1), channel));
    long before = busPublishes();
    channels.forEach(channel -> publish(nodes.get(0), channel, 10));
    long sharded = busPublishes() - before;

    before = busPublishes();
    for (int i = 0; i < 100; i++) {
      nodes.get(0).connector().call(c -> c.publish("herald:test:classic", "x")).block(TIMEOUT);
    }
    long classic = busPublishes() - before;
    log.info(
        "cluster-bus publish messages per publication: sharded={} classic={} nodes={}",
        sharded / 100.0,
        classic / 100.0,
        cluster.ports().size());
    assertThat(sharded).isZero();
    assertThat(classic).isGreaterThanOrEqualTo(100L * (cluster.masters().size() - 1));
  }

  @Test
  void tenThousandChannelsSpreadEvenlyOverTheMasters() {
    Map<Integer, Integer> perMaster = new HashMap<>();
    for (int i = 0; i < 10_000; i++) {
      ChannelName channel = ChannelName.of("chat:room-" + i);
      perMaster.merge(masterPortOf(channel), 1, Integer::sum);
    }
    double mean = 10_000.0 / perMaster.size();
    int max = perMaster.values().stream().max(Integer::compare).orElseThrow();
    log.info("channels per master: {} max/mean={}", perMaster.values(), max / mean);
    assertThat(perMaster).hasSize(3);
    assertThat(max / mean).isLessThan(1.1);
  }

  /** Classic pub/sub messages sent over the cluster bus so far, summed over the live nodes. */
  private long busPublishes() {
    long sum = 0;
    for (int port : cluster.ports()) {
      try {
        sum += cluster.clusterInfo(port, "cluster_stats_messages_publish_sent");
      } catch (AssertionError down) {
        // A node killed by another test and not yet back sends nothing.
      }
    }
    return sum;
  }

  @Test
  void aReusedOffsetMovesTheChannelToANewEpochAndItsSubscribersAreReset() {
    ChannelName channel = channels(1).get(0);
    subscribe(nodes.get(1), channel);
    List<Publication> published = publish(nodes.get(0), channel, 5);
    published.forEach(check::published);
    await().atMost(TIMEOUT).until(() -> listeners.get(1).publications(channel).size() == 5);

    // What a promoted replica that had only offsets 1..3 would hold.
    RedisConnector redis = nodes.get(2).connector();
    redis.call(c -> c.hset(RedisKeys.meta(channel), "offset", "3")).block(TIMEOUT);
    redis.call(c -> c.ltrim(RedisKeys.history(channel), 0, 2)).block(TIMEOUT);

    // Node 2 never saw offsets 4 and 5: it is told offset 4 and 5 again, for other data.
    Publication reused4 = publishOne(nodes.get(2), channel, 40).block(TIMEOUT);
    Publication reused5 = publishOne(nodes.get(2), channel, 50).block(TIMEOUT);
    assertThat(reused5.offset()).isEqualTo(5);
    assertThat(reused4.epoch()).isEqualTo(published.get(0).epoch());

    // Node 1 saw offset 5 with another timestamp: the channel moves to a new epoch, it resets.
    await()
        .atMost(TIMEOUT)
        .untilAsserted(() -> assertThat(listeners.get(1).resets(channel)).hasSize(1));
    assertThat(listeners.get(1).resets(channel).get(0).epoch())
        .isNotEqualTo(published.get(0).epoch());
    // Node 0 published offset 5 itself: its next publish is of the new epoch.
    Publication next = publishOne(nodes.get(0), channel, 60).block(TIMEOUT);
    assertThat(next.epoch()).isNotEqualTo(published.get(0).epoch());
    assertThat(next.offset()).isEqualTo(1);
    await().atMost(TIMEOUT).until(() -> listeners.get(1).publications(channel).contains(next));
    assertThat(listeners.get(1).silentIrregularities()).isEmpty();
  }

  @Test
  void aSlotMigrationWhilePublishingLeavesNoSilentGap() {
    int source = cluster.masters().get(0);
    int target = cluster.masters().get(1);
    String sourceId = cluster.cli(source, "CLUSTER", "MYID").trim();
    String targetId = cluster.cli(target, "CLUSTER", "MYID").trim();
    int firstSlot = firstSlotOf(source);
    // Channels in the slots the reshard moves first.
    List<ChannelName> channels =
        channelsWhere(4, slot -> slot >= firstSlot && slot < firstSlot + 20);
    channels.forEach(channel -> subscribe(nodes.get(1), channel));
    Publisher publisher = new Publisher(channels);
    publisher.start();
    try {
      await().atMost(TIMEOUT).until(() -> publisher.acknowledged.get() >= 20);
      cluster.cliTool(
          "--cluster",
          "reshard",
          "127.0.0.1:" + source,
          "--cluster-from",
          sourceId,
          "--cluster-to",
          targetId,
          "--cluster-slots",
          "20",
          "--cluster-yes");
      long before = publisher.acknowledged.get();
      await().atMost(TIMEOUT).until(() -> publisher.acknowledged.get() >= before + 40);
    } finally {
      publisher.stop();
    }
    nodes.get(0).connector().clusterClient().refreshPartitions();
    for (ChannelName channel : channels) {
      assertThat(masterPortOf(channel)).isEqualTo(target);
    }
    awaitDelivered(channels, publisher);
    assertThat(listeners.get(1).silentIrregularities()).isEmpty();
  }

  @Test
  void aKilledMasterUnderLoadResumesWithinSecondsWithNoSilentGapOrReusedOffset() {
    int victim = cluster.masters().get(2);
    List<ChannelName> channels = new ArrayList<>();
    channelsOnEveryMaster(3).values().forEach(channels::addAll);
    channels.forEach(channel -> nodes.forEach(node -> subscribe(node, channel)));
    List<ChannelName> onVictim =
        channels.stream().filter(channel -> masterPortOf(channel) == victim).toList();
    assertThat(onVictim).isNotEmpty();
    String control = "herald:test:control-" + System.nanoTime();
    List<String> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    Disposable listening = nodes.get(1).connector().listen(control, heard::add);
    Publisher publisher = new Publisher(channels);
    publisher.start();
    try {
      await().atMost(TIMEOUT).until(() -> publisher.acknowledged.get() >= 50);
      long killedAt = System.nanoTime();
      cluster.kill(victim);
      await().atMost(TIMEOUT).until(() -> publisher.lastAcknowledgedAfter(onVictim, killedAt));
      long outageMs = publisher.longestPause(onVictim) / 1_000_000;
      log.info("publishing on the killed master's slots paused for ms={} at most", outageMs);
      assertThat(outageMs).as("resumed within seconds").isLessThan(15_000);
      long before = publisher.acknowledged.get();
      await().atMost(TIMEOUT).until(() -> publisher.acknowledged.get() >= before + 30);
      // The broadcast control channel (classic pub/sub, on whichever node) is heard again too.
      await()
          .atMost(TIMEOUT)
          .ignoreExceptions()
          .until(
              () -> {
                nodes.get(0).connector().call(c -> c.publish(control, "after")).block(TIMEOUT);
                return heard.contains("after");
              });
    } finally {
      publisher.stop();
      listening.dispose();
      cluster.restart(victim);
    }
    awaitDelivered(channels, publisher);
    for (SequenceCheck.Node listener : listeners) {
      assertThat(listener.silentIrregularities()).isEmpty();
    }
    // An offset acknowledged twice (the old master's reply was lost with it) is only allowed where
    // the channel moved to a new epoch since.
    for (String key : check.doublyAcknowledged()) {
      ChannelName channel = ChannelName.of(key.substring(0, key.indexOf('|')));
      String epoch = key.split("\\|")[1];
      assertThat(publisher.last.get(channel).epoch()).as(key).isNotEqualTo(epoch);
    }
    cluster.awaitHealthy();
  }

  @Test
  void aDeadMastersFailuresOpenItsOwnBreakerAndTheOtherMastersAreStillWritten() {
    int victim = cluster.masters().get(1);
    Map<Integer, List<ChannelName>> byMaster = channelsOnEveryMaster(1);
    ChannelName onVictim = byMaster.get(victim).get(0);
    List<ChannelName> elsewhere =
        byMaster.entrySet().stream()
            .filter(entry -> entry.getKey() != victim)
            .map(entry -> entry.getValue().get(0))
            .toList();
    RedisEngine node = nodes.get(0);
    byMaster.values().forEach(channels -> publish(node, channels.get(0), 1));
    cluster.kill(victim);
    try {
      // Ten publishes at once on the dead master's slot fail within the command timeout, long
      // before Redis promotes its replica (cluster-node-timeout 1 s, then an election).
      await()
          .atMost(TIMEOUT)
          .until(
              () -> {
                Flux.range(0, 10)
                    .flatMap(n -> publishOne(node, onVictim, n).onErrorResume(e -> Mono.empty()))
                    .blockLast(TIMEOUT);
                return breakerState(node, "redis@127.0.0.1:" + victim) == CircuitBreaker.State.OPEN;
              });
      for (ChannelName channel : elsewhere) {
        assertThat(publishOne(node, channel, 2).block(TIMEOUT))
            .as("a publish on a live master's slot while the dead master's breaker is open")
            .isNotNull();
      }
      assertThat(breakerState(node, RedisConnector.DIRECT_LANE))
          .isEqualTo(CircuitBreaker.State.CLOSED);
      // Once the replica is promoted, the victim's slot is written again, behind a breaker of the
      // new master's; the victim's, a master of no slot any more, is dropped then.
      await()
          .atMost(TIMEOUT)
          .ignoreExceptions()
          .until(() -> publishOne(node, onVictim, 3).block(TIMEOUT) != null);
      assertThat(breakerState(node, "redis@127.0.0.1:" + victim)).isNull();
    } finally {
      cluster.restart(victim);
    }
    cluster.awaitHealthy();
  }

  private static CircuitBreaker.@Nullable State breakerState(RedisEngine node, String name) {
    return node.connector().breakers().find(name).map(CircuitBreaker::getState).orElse(null);
  }

  @Test
  void tenThousandChannelsOfANodeAreSubscribedAgainAfterTheirMasterDies() {
    RedisEngine node = nodes.get(1);
    List<ChannelName> channels =
        java.util.stream.IntStream.range(0, 10_000)
            .mapToObj(i -> ChannelName.of(TestIds.next("many:c")))
            .toList();
    long subscribing = System.nanoTime();
    // Retried as a client retries a 503: a fresh node's first burst on a cluster that has just
    // been through the other tests' failovers can open a master's breaker for a moment.
    Flux.fromIterable(channels)
        .flatMap(
            channel ->
                node.subscribe(channel)
                    .retryWhen(
                        Retry.backoff(10, Duration.ofMillis(200))
                            .filter(EngineUnavailableException.class::isInstance)),
            256)
        .blockLast(Duration.ofSeconds(90));
    log.info("subscribed channels=10000 in ms={}", (System.nanoTime() - subscribing) / 1_000_000);
    ShardedChannelLinks links = (ShardedChannelLinks) node.subscriptions().links();
    assertThat(links.confirmedWhereTheyBelong()).isEqualTo(10_000);
    int victim = cluster.masters().get(0);
    List<ChannelName> onVictim =
        channels.stream().filter(channel -> masterPortOf(channel) == victim).toList();

    long killedAt = System.nanoTime();
    cluster.kill(victim);
    try {
      await().atMost(TIMEOUT).until(() -> links.confirmedWhereTheyBelong() < 10_000);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> links.confirmedWhereTheyBelong() == 10_000);
      log.info(
          "after a master died, channels={} of 10000 subscribed again in ms={}",
          onVictim.size(),
          (System.nanoTime() - killedAt) / 1_000_000);
    } finally {
      cluster.restart(victim);
    }
    // Still delivered, from the new master.
    ChannelName moved = onVictim.get(0);
    Publication published = publishOne(nodes.get(0), moved, 1).block(TIMEOUT);
    await().atMost(TIMEOUT).until(() -> listeners.get(1).publications(moved).contains(published));
  }

  /** Waits until node 1 delivered, per channel, the last publication its publisher got back. */
  private void awaitDelivered(List<ChannelName> channels, Publisher publisher) {
    for (ChannelName channel : channels) {
      Publication last = publisher.last.get(channel);
      if (last == null) {
        continue;
      }
      await()
          .atMost(TIMEOUT)
          .untilAsserted(() -> assertThat(listeners.get(1).publications(channel)).contains(last));
    }
  }

  /** Publishes round the channels from nodes 0 and 2 until stopped; failures are counted. */
  private final class Publisher {
    final List<ChannelName> channels;
    final AtomicLong acknowledged = new AtomicLong();
    final AtomicInteger failed = new AtomicInteger();
    final Map<ChannelName, Publication> last = new java.util.concurrent.ConcurrentHashMap<>();
    final Map<ChannelName, Long> lastAckNanos = new java.util.concurrent.ConcurrentHashMap<>();
    final Map<ChannelName, List<Long>> ackNanos = new java.util.concurrent.ConcurrentHashMap<>();
    private Disposable running;

    Publisher(List<ChannelName> channels) {
      this.channels = channels;
    }

    void start() {
      AtomicInteger n = new AtomicInteger();
      running =
          Flux.interval(Duration.ofMillis(5))
              .onBackpressureDrop()
              .concatMap(
                  tick -> {
                    int i = n.getAndIncrement();
                    ChannelName channel = channels.get(i % channels.size());
                    RedisEngine node = nodes.get((i / channels.size()) % 2 == 0 ? 0 : 2);
                    return publishOne(node, channel, i)
                        .timeout(Duration.ofSeconds(2))
                        .doOnNext(this::acknowledged)
                        .onErrorResume(
                            error -> {
                              failed.incrementAndGet();
                              return Mono.empty();
                            });
                  })
              .subscribeOn(Schedulers.parallel())
              .subscribe();
    }

    private void acknowledged(Publication publication) {
      check.published(publication);
      last.put(publication.channel(), publication);
      long now = System.nanoTime();
      lastAckNanos.put(publication.channel(), now);
      ackNanos
          .computeIfAbsent(
              publication.channel(), c -> new java.util.concurrent.CopyOnWriteArrayList<>())
          .add(now);
      acknowledged.incrementAndGet();
    }

    boolean lastAcknowledgedAfter(List<ChannelName> of, long nanos) {
      return of.stream().allMatch(channel -> lastAckNanos.getOrDefault(channel, 0L) > nanos);
    }

    /** The longest time between two acknowledged publications on any of {@code of}. */
    long longestPause(List<ChannelName> of) {
      List<Long> times =
          of.stream()
              .flatMap(channel -> ackNanos.getOrDefault(channel, List.of()).stream())
              .sorted()
              .toList();
      long longest = 0;
      for (int i = 1; i < times.size(); i++) {
        longest = Math.max(longest, times.get(i) - times.get(i - 1));
      }
      return longest;
    }

    void stop() {
      running.dispose();
    }
  }

  private int firstSlotOf(int port) {
    RedisClusterNode node =
        nodes.get(0).connector().clusterClient().getPartitions().getPartition("127.0.0.1", port);
    return new TreeSet<>(node.getSlots()).first();
  }

  private int masterPortOf(ChannelName channel) {
    return nodes
        .get(0)
        .connector()
        .clusterClient()
        .getPartitions()
        .getMasterBySlot(SlotHash.getSlot(RedisKeys.pubsub(channel)))
        .getUri()
        .getPort();
  }

  /** {@code perMaster} fresh channels on each master, by master port. */
  private Map<Integer, List<ChannelName>> channelsOnEveryMaster(int perMaster) {
    Map<Integer, List<ChannelName>> byMaster = new HashMap<>();
    Set<Integer> masters = Set.copyOf(cluster.masters());
    while (byMaster.size() < masters.size()
        || byMaster.values().stream().anyMatch(list -> list.size() < perMaster)) {
      ChannelName channel = channels(1).get(0);
      List<ChannelName> list =
          byMaster.computeIfAbsent(masterPortOf(channel), p -> new ArrayList<>());
      if (list.size() < perMaster) {
        list.add(channel);
      }
    }
    return byMaster;
  }

  private static List<ChannelName> channelsWhere(int count, IntPredicate slot) {
    List<ChannelName> found = new ArrayList<>();
    while (found.size() < count) {
      ChannelName channel = ChannelName.of(TestIds.next("shard:c"));
      if (slot.test(SlotHash.getSlot(RedisKeys.pubsub(channel)))) {
        found.add(channel);
      }
    }
    return found;
  }

  private static List<ChannelName> channels(int count) {
    return channelsWhere(count, slot -> true);
  }

  private static void subscribe(RedisEngine node, ChannelName channel) {
    StepVerifier.create(node.subscribe(channel)).expectComplete().verify(TIMEOUT);
  }

  private static List<Publication> publish(RedisEngine node, ChannelName channel, int count) {
    return Flux.range(1, count)
        .concatMap(n -> publishOne(node, channel, n))
        .collectList()
        .block(TIMEOUT);
  }

  private static Mono<Publication> publishOne(RedisEngine node, ChannelName channel, int n) {
    return node.publish(channel, JsonNodeFactory.instance.numberNode(n), null);
  }

  private static List<Long> oneTo(long n) {
    return LongStream.rangeClosed(1, n).boxed().toList();
  }
}
