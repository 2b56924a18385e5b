package herald.registry;

import static org.assertj.core.api.Assertions.assertThat;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.HistoryPage;
import herald.engine.HistoryQuery;
import herald.engine.memory.InMemoryEngine;
import herald.support.TestChannelOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;
import tools.jackson.databind.node.JsonNodeFactory;

class ChannelRegistryTests {

  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final InMemoryEngine engine =
      new InMemoryEngine(
          new TestChannelOptions(),
          Clock.systemUTC(),
          Duration.ofHours(1),
          VirtualTimeScheduler.create());
  // Room to buffer every publication of the race test: a subscriber thread descheduled between
  // joining the hub and reading the history must not overflow (that path has its own test), or the
  // race test would be about the machine's scheduler rather than about ordering.
  private final ChannelRegistry registry = new ChannelRegistry(engine, 10_000);

  @AfterEach
  void close() {
    engine.close();
  }

  @Test
  void recoveringSubscribersGetEveryOffsetOnceWhilePublicationsRace() throws Exception {
    ChannelName channel = ChannelName.of("race:" + System.nanoTime());
    int total = 3000;
    int subscribers = 24;
    AtomicInteger published = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    try {
      publish(channel, 1);
      Future<?> publisher =
          pool.submit(
              () -> {
                for (int i = 2; i <= total; i++) {
                  publish(channel, i);
                  published.set(i);
                }
              });
      List<Future<Recorded>> recorders = new ArrayList<>();
      for (int i = 0; i < subscribers; i++) {
        boolean recover = i % 3 != 0;
        recorders.add(pool.submit(() -> subscribeDuringPublishing(channel, recover)));
      }
      publisher.get();
      for (Future<Recorded> future : recorders) {
        assertThat(resultOf(future).overflowed).as("overflows").hasValue(0);
        Recorded recorded = future.get();
        assertContiguousUpTo(recorded, total);
      }
      assertThat(recorders.stream().filter(f -> resultOf(f).recovery.get().recovered()).count())
          .as("subscribers that recovered from a past position")
          .isPositive();
    } finally {
      pool.shutdownNow();
    }
  }

  private Recorded subscribeDuringPublishing(ChannelName channel, boolean recover) {
    StreamPosition latest =
        engine.history(channel, HistoryQuery.positionOnly()).block(TIMEOUT).latest();
    long back = ThreadLocalRandom.current().nextLong(0, Math.min(50, latest.offset()) + 1);
    StreamPosition since =
        recover ? new StreamPosition(latest.offset() - back, latest.epoch()) : null;
    Recorded recorded = new Recorded(since);
    registry.subscribe(channel, since, recorded, recorded.recovery::set).block(TIMEOUT);
    return recorded;
  }

  private static void assertContiguousUpTo(Recorded recorded, int total) {
    Recovery recovery = recorded.recovery.get();
    assertThat(recovery).isNotNull();
    long first =
        recovery.recovered() ? recorded.since.offset() + 1 : recovery.latest().offset() + 1;
    List<Long> expected = new ArrayList<>();
    for (long offset = first; offset <= total; offset++) {
      expected.add(offset);
    }
    assertThat(recorded.offsets())
        .as("offsets after %s", recovery)
        .containsExactlyElementsOf(expected);
  }

  @Test
  void oneUpstreamSubscriptionPerChannelReleasedWithTheLastSubscriber() {
    ChannelName channel = ChannelName.of("news:" + System.nanoTime());
    Recorded first = new Recorded(null);
    Recorded second = new Recorded(null);
    Subscription a = registry.subscribe(channel, null, first, r -> {}).block(TIMEOUT);
    Subscription b = registry.subscribe(channel, null, second, r -> {}).block(TIMEOUT);
    publish(channel, 1);
    assertThat(first.offsets()).containsExactly(1L);
    assertThat(second.offsets()).containsExactly(1L);
    assertThat(registry.subscriberCounts()).containsEntry(channel.value(), 2);

    registry.unsubscribe(a);
    publish(channel, 2);
    assertThat(first.offsets()).containsExactly(1L);
    assertThat(second.offsets()).containsExactly(1L, 2L);

    registry.unsubscribe(b);
    assertThat(registry.subscriberCounts()).isEmpty();
    assertThat(registry.subscriptionCount()).isZero();
  }

  @Test
  void aSubscriberThatFailsDoesNotKeepThePublicationFromTheOthers() {
    ChannelName channel = ChannelName.of("news:" + System.nanoTime());
    Recorded failing =
        new Recorded(null) {
          @Override
          public void onPublication(Publication publication) {
            throw new IllegalStateException("a bug in one subscriber");
          }
        };
    Recorded other = new Recorded(null);
    registry.subscribe(channel, null, failing, r -> {}).block(TIMEOUT);
    registry.subscribe(channel, null, other, r -> {}).block(TIMEOUT);

    publish(channel, 1);
    publish(channel, 2);

    assertThat(other.offsets()).containsExactly(1L, 2L);
  }

  @Test
  void aRecoveryThatBuffersMoreThanItsLimitOverflowsTheSubscriber() {
    ChannelName channel = ChannelName.of("news:" + System.nanoTime());
    Recorded recorded = new Recorded(null);
    Subscription subscription = new Subscription(channel, recorded, 2);
    for (int offset = 1; offset <= 3; offset++) {
      subscription.offer(
          new Publication(channel, offset, "e", JsonNodeFactory.instance.nullNode(), 0, null));
    }
    assertThat(recorded.overflowed.get()).isEqualTo(1);
    subscription.offer(
        new Publication(channel, 4, "e", JsonNodeFactory.instance.nullNode(), 0, null));
    assertThat(recorded.publications).isEmpty();
  }

  @Test
  void theReplyRunsBeforeTheReplayedPublications() {
    ChannelName channel = ChannelName.of("news:" + System.nanoTime());
    Publication first = publish(channel, 1);
    publish(channel, 2);
    List<String> order = new CopyOnWriteArrayList<>();
    Recorded recorded =
        new Recorded(first.position()) {
          @Override
          public void onPublication(Publication publication) {
            order.add("message " + publication.offset());
          }
        };
    registry
        .subscribe(channel, first.position(), recorded, r -> order.add("reply " + r.recovered()))
        .block(TIMEOUT);
    publish(channel, 3);
    assertThat(order).containsExactly("reply true", "message 2", "message 3");
  }

  @Test
  void anEngineResetReachesEveryLiveSubscriberWhichThenContinuesFromTheNewPosition() {
    ChannelName channel = ChannelName.of("news:" + System.nanoTime());
    Recorded first = new Recorded(null);
    Recorded second = new Recorded(null);
    registry.subscribe(channel, null, first, r -> {}).block(TIMEOUT);
    registry.subscribe(channel, null, second, r -> {}).block(TIMEOUT);
    Publication one = publish(channel, 1);

    // As a Redis engine does when the history cannot fill a gap: offsets 2 to 6 are gone.
    StreamPosition reset = new StreamPosition(6, one.epoch());
    registry.onReset(channel, reset);
    registry.onPublication(publication(channel, 7, one.epoch()));

    for (Recorded recorded : List.of(first, second)) {
      assertThat(recorded.resets).containsExactly(reset);
      assertThat(recorded.offsets()).containsExactly(1L, 7L);
    }
  }

  @Test
  void aPublicationOfAnotherEpochWithoutAResetIsStillAnnouncedAsOne() {
    ChannelName channel = ChannelName.of("news:" + System.nanoTime());
    Recorded recorded = new Recorded(null);
    Subscription subscription = new Subscription(channel, recorded, 10);
    subscription.goLive(
        new HistoryPage(List.of(), new StreamPosition(4, "old"), true), null, r -> {});
    subscription.offer(publication(channel, 1, "new"));

    assertThat(recorded.resets).containsExactly(new StreamPosition(0, "new"));
    assertThat(recorded.offsets()).containsExactly(1L);
  }

  @Test
  void aResetWhileRecoveringAppliesInOrderUnlessTheReplayStartedPastIt() {
    ChannelName channel = ChannelName.of("news:" + System.nanoTime());
    Recorded behind = new Recorded(null);
    Subscription old = new Subscription(channel, behind, 10);
    old.reset(new StreamPosition(0, "new"));
    old.offer(publication(channel, 1, "new"));
    // The history was read before the reset: it applies, then the new sequence follows.
    old.goLive(new HistoryPage(List.of(), new StreamPosition(9, "old"), true), null, r -> {});
    assertThat(behind.resets).containsExactly(new StreamPosition(0, "new"));
    assertThat(behind.offsets()).containsExactly(1L);

    Recorded ahead = new Recorded(null);
    Subscription fresh = new Subscription(channel, ahead, 10);
    fresh.offer(publication(channel, 10, "old"));
    fresh.reset(new StreamPosition(0, "new"));
    fresh.offer(publication(channel, 1, "new"));
    fresh.offer(publication(channel, 2, "new"));
    // The history was read after it: the subscriber already starts in the new sequence.
    fresh.goLive(new HistoryPage(List.of(), new StreamPosition(1, "new"), true), null, r -> {});
    assertThat(ahead.resets).isEmpty();
    assertThat(ahead.offsets()).containsExactly(2L);
  }

  private static Publication publication(ChannelName channel, long offset, String epoch) {
    return new Publication(
        channel, offset, epoch, JsonNodeFactory.instance.numberNode(offset), 0, null);
  }

  private Publication publish(ChannelName channel, int n) {
    return engine.publish(channel, JsonNodeFactory.instance.numberNode(n), null).block(TIMEOUT);
  }

  private static Recorded resultOf(Future<Recorded> future) {
    try {
      return future.get();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A subscriber that records what it receives. */
  static class Recorded implements Subscriber {
    final StreamPosition since;
    final AtomicReference<Recovery> recovery = new AtomicReference<>();
    final List<Publication> publications = new CopyOnWriteArrayList<>();
    final AtomicInteger overflowed = new AtomicInteger();
    final List<StreamPosition> resets = new CopyOnWriteArrayList<>();

    Recorded(StreamPosition since) {
      this.since = since;
    }

    List<Long> offsets() {
      return publications.stream().map(Publication::offset).toList();
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
    public void onReset(ChannelName channel, StreamPosition position) {
      resets.add(position);
    }

    @Override
    public void onOverflow(ChannelName channel) {
      overflowed.incrementAndGet();
    }
  }
}
