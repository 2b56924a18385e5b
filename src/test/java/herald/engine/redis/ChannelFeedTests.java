package herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.EngineListener;
import herald.engine.HistoryPage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import tools.jackson.databind.node.JsonNodeFactory;

/** The per-channel serial queue: offset order, no duplicate, gaps filled from history first. */
class ChannelFeedTests {

  private static final ChannelName CHANNEL = ChannelName.of("news");
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final List<Publication> delivered = new CopyOnWriteArrayList<>();
  // Publications and reset positions, in the order the listener got them.
  private final List<Object> events = new CopyOnWriteArrayList<>();
  private final List<StreamPosition> fills = new CopyOnWriteArrayList<>();
  private final Sinks.One<HistoryPage> history = Sinks.one();
  private final ChannelFeed feed =
      new ChannelFeed(
          CHANNEL,
          () -> new Recorder(delivered, events),
          position -> {
            fills.add(position);
            return history.asMono();
          },
          100,
          Duration.ofSeconds(1));

  private static Publication publication(long offset, String epoch) {
    return new Publication(
        CHANNEL, offset, epoch, JsonNodeFactory.instance.numberNode(offset), 0, null);
  }

  private static List<Publication> range(long first, long last, String epoch) {
    return LongStream.rangeClosed(first, last).mapToObj(n -> publication(n, epoch)).toList();
  }

  @Test
  void publicationsBeforeTheBaselineWaitAndThoseAtOrBelowItAreDropped() {
    feed.offer(publication(3, "E"));
    feed.offer(publication(4, "E"));
    assertThat(delivered).isEmpty();
    feed.start(new StreamPosition(3, "E"));
    assertThat(delivered).containsExactly(publication(4, "E"));
  }

  @Test
  void duplicatesAreDropped() {
    feed.start(new StreamPosition(0, "E"));
    feed.offer(publication(1, "E"));
    feed.offer(publication(1, "E"));
    feed.offer(publication(2, "E"));
    assertThat(delivered).containsExactlyElementsOf(range(1, 2, "E"));
  }

  @Test
  void aGapIsFilledFromHistoryBeforeAnythingLaterIsDelivered() {
    feed.start(new StreamPosition(0, "E"));
    feed.offer(publication(1, "E"));
    feed.offer(publication(4, "E"));
    feed.offer(publication(5, "E"));
    assertThat(delivered).containsExactly(publication(1, "E"));
    assertThat(fills).containsExactly(new StreamPosition(1, "E"));

    history.tryEmitValue(new HistoryPage(range(2, 5, "E"), new StreamPosition(5, "E"), true));

    await()
        .atMost(TIMEOUT)
        .untilAsserted(() -> assertThat(delivered).containsExactlyElementsOf(range(1, 5, "E")));
    feed.offer(publication(6, "E"));
    assertThat(delivered).containsExactlyElementsOf(range(1, 6, "E"));
  }

  @Test
  void anotherEpochIsFollowedOnlyOnceTheHistoryConfirmsItAndIsAnnouncedAsAReset() {
    feed.start(new StreamPosition(7, "E"));
    feed.offer(publication(1, "F"));
    feed.offer(publication(2, "F"));
    assertThat(delivered).isEmpty();
    assertThat(fills).containsExactly(new StreamPosition(7, "E"));

    // Redis lost the channel: the history is of epoch F and does not continue (7, E).
    history.tryEmitValue(new HistoryPage(range(1, 2, "F"), new StreamPosition(2, "F"), false));

    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(events)
                    .containsExactly(
                        new StreamPosition(0, "F"), publication(1, "F"), publication(2, "F")));
    feed.offer(publication(3, "F"));
    assertThat(delivered).containsExactlyElementsOf(range(1, 3, "F"));
  }

  @Test
  void aGapTheHistoryNoLongerHoldsIsAResetToJustBeforeTheOldestPublicationItHolds() {
    feed.start(new StreamPosition(0, "E"));
    feed.offer(publication(1, "E"));
    feed.offer(publication(5, "E"));

    // Offsets 2 and 3 were trimmed away: the history holds 4 to 6 only.
    history.tryEmitValue(new HistoryPage(range(4, 6, "E"), new StreamPosition(6, "E"), false));

    await()
        .atMost(TIMEOUT)
        .untilAsserted(
            () ->
                assertThat(events)
                    .containsExactly(
                        publication(1, "E"),
                        new StreamPosition(3, "E"),
                        publication(4, "E"),
                        publication(5, "E"),
                        publication(6, "E")));
    feed.offer(publication(7, "E"));
    assertThat(delivered).last().isEqualTo(publication(7, "E"));
  }

  @Test
  void aGapWithNothingLeftInHistoryResetsToTheLatestPosition() {
    feed.start(new StreamPosition(2, "E"));
    feed.offer(publication(9, "E"));

    history.tryEmitValue(new HistoryPage(List.of(), new StreamPosition(9, "E"), false));

    await()
        .atMost(TIMEOUT)
        .untilAsserted(() -> assertThat(events).containsExactly(new StreamPosition(9, "E")));
    feed.offer(publication(10, "E"));
    assertThat(events).containsExactly(new StreamPosition(9, "E"), publication(10, "E"));
  }

  @Test
  void aLateMessageOfAnEpochTheHistoryDoesNotHaveIsDroppedWithoutAReset() {
    feed.start(new StreamPosition(3, "E"));
    feed.offer(publication(4, "OLD"));

    history.tryEmitValue(new HistoryPage(List.of(), new StreamPosition(3, "E"), true));

    await().atMost(TIMEOUT).untilAsserted(() -> assertThat(fills).hasSize(1));
    feed.offer(publication(4, "E"));
    await()
        .atMost(TIMEOUT)
        .untilAsserted(() -> assertThat(events).containsExactly(publication(4, "E")));
  }

  @Test
  void deliveredCompletesOnceThePublicationIsDelivered() {
    feed.start(new StreamPosition(0, "E"));
    Mono<Void> waiting = feed.delivered(publication(2, "E"));
    feed.offer(publication(1, "E"));
    feed.offer(publication(2, "E"));
    StepVerifier.create(waiting).expectComplete().verify(TIMEOUT);
    StepVerifier.create(feed.delivered(publication(2, "E"))).expectComplete().verify(TIMEOUT);
  }

  private record Recorder(List<Publication> delivered, List<Object> events)
      implements EngineListener {
    @Override
    public void onPublication(Publication publication) {
      delivered.add(publication);
      events.add(publication);
    }

    @Override
    public void onJoin(ChannelName channel, ClientInfo client) {}

    @Override
    public void onLeave(ChannelName channel, ClientInfo client) {}

    @Override
    public void onReset(ChannelName channel, StreamPosition position) {
      events.add(position);
    }
  }
}
