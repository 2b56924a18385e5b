package herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import herald.channel.ChannelName;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.HistoryPage;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.node.JsonNodeFactory;

/** How one shared recovery read answers each caller as its own read would have. */
class RecoveryReadsTests {

  private static final ChannelName CHANNEL = ChannelName.of("news");
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @Test
  void aCoveredPositionGetsThePublicationsAfterIt() {
    HistoryPage shared = page(true, 10, 20, 20);

    HistoryPage slice = RecoveryReads.slice(shared, new StreamPosition(15, "e"));

    assertThat(slice.recovered()).isTrue();
    assertThat(slice.latest()).isEqualTo(new StreamPosition(20, "e"));
    assertThat(slice.publications())
        .extracting(Publication::offset)
        .containsExactly(16L, 17L, 18L, 19L, 20L);
    assertThat(RecoveryReads.slice(shared, new StreamPosition(20, "e")).publications()).isEmpty();
    assertThat(RecoveryReads.slice(shared, new StreamPosition(10, "e")).publications()).hasSize(10);
  }

  @Test
  void whatTheSharedPageCannotAnswerNeedsAReadOfItsOwnUnlessNothingWasRecovered() {
    HistoryPage recovered = page(true, 10, 20, 20);
    // Another epoch, or beyond the latest: the shared page lacks the older retained entries.
    assertThat(RecoveryReads.slice(recovered, new StreamPosition(15, "old"))).isNull();
    assertThat(RecoveryReads.slice(recovered, new StreamPosition(25, "e"))).isNull();

    // A shared page that was not recovered holds everything retained: it is every such answer.
    HistoryPage everything = page(false, 10, 20, 20);
    assertThat(RecoveryReads.slice(everything, new StreamPosition(3, "e"))).isSameAs(everything);
    assertThat(RecoveryReads.slice(everything, new StreamPosition(15, "old"))).isSameAs(everything);
    assertThat(RecoveryReads.slice(everything, new StreamPosition(12, "e")).recovered()).isTrue();
  }

  @Test
  void theSharedReadStartsAtTheSmallestPositionOfTheEpochMostHold() {
    List<RecoveryReads.Request> batch =
        List.of(request(7, "e"), request(2, "old"), request(5, "e"), request(9, "e"));

    assertThat(RecoveryReads.sharedSince(batch)).isEqualTo(new StreamPosition(5, "e"));
  }

  @Test
  void requestsArrivingDuringAReadShareTheNextOneAndNeverTheOneInFlight() {
    List<Sinks.One<HistoryPage>> reads = new CopyOnWriteArrayList<>();
    List<StreamPosition> readFrom = new CopyOnWriteArrayList<>();
    RecoveryReads recoveryReads =
        new RecoveryReads(
            (channel, since) ->
                Mono.defer(
                    () -> {
                      Sinks.One<HistoryPage> read = Sinks.one();
                      reads.add(read);
                      readFrom.add(since);
                      return read.asMono();
                    }),
            Schedulers.immediate());
    List<HistoryPage> answers = new CopyOnWriteArrayList<>();
    AtomicInteger answered = new AtomicInteger();

    recoveryReads.after(CHANNEL, new StreamPosition(18, "e")).subscribe(answers::add);
    for (long since = 10; since < 15; since++) {
      recoveryReads
          .after(CHANNEL, new StreamPosition(since, "e"))
          .subscribe(page -> answered.incrementAndGet());
    }
    assertThat(reads).hasSize(1);

    reads.get(0).tryEmitValue(page(true, 18, 20, 20));
    assertThat(answers).singleElement().extracting(HistoryPage::publications).asList().hasSize(2);
    assertThat(reads).hasSize(2);
    assertThat(readFrom).containsExactly(new StreamPosition(18, "e"), new StreamPosition(10, "e"));

    reads.get(1).tryEmitValue(page(true, 10, 21, 21));
    assertThat(answered).hasValue(5);
    assertThat(recoveryReads.channelsReading()).isZero();
  }

  /** Publications {@code from + 1 .. to} of epoch "e", latest offset {@code latest}. */
  private static HistoryPage page(boolean recovered, long from, long to, long latest) {
    List<Publication> held =
        LongStream.rangeClosed(from + 1, to)
            .mapToObj(
                offset ->
                    new Publication(
                        CHANNEL, offset, "e", JsonNodeFactory.instance.numberNode(offset), 0, null))
            .toList();
    return new HistoryPage(held, new StreamPosition(latest, "e"), recovered);
  }

  private static RecoveryReads.Request request(long offset, String epoch) {
    return new RecoveryReads.Request(new StreamPosition(offset, epoch), null);
  }
}
