package herald.engine;

import static org.assertj.core.api.Assertions.assertThat;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * What every engine promises, whichever runs. Subclasses supply the engine; channel {@code short:*}
 * must keep 3 publications, and {@code chat:*} must have join-leave enabled.
 */
public abstract class EngineContractTests {

  protected static final Duration TIMEOUT = Duration.ofSeconds(5);

  protected final RecordingListener listener = new RecordingListener();
  protected Engine engine;

  protected abstract Engine createEngine();

  @BeforeEach
  void attachListener() {
    engine = createEngine();
    engine.attach(listener);
  }

  protected static JsonNode data(int n) {
    return JsonNodeFactory.instance.numberNode(n);
  }

  protected static ChannelName channel(String name) {
    return ChannelName.of(name + "-" + System.nanoTime());
  }

  @Test
  void offsetsStartAtOneAndGrowByOneWithOneEpoch() {
    ChannelName channel = channel("news");
    StepVerifier.create(
            Flux.range(1, 5).concatMap(n -> engine.publish(channel, data(n), null)).collectList())
        .assertNext(
            publications -> {
              assertThat(publications)
                  .extracting(Publication::offset)
                  .containsExactly(1L, 2L, 3L, 4L, 5L);
              assertThat(publications)
                  .extracting(Publication::epoch)
                  .containsOnly(publications.get(0).epoch());
            })
        .expectComplete()
        .verify(TIMEOUT);
  }

  @Test
  void historyAfterAPositionHoldsExactlyTheNewerPublications() {
    ChannelName channel = channel("news");
    Publication third = publishAll(channel, 5).get(2);
    StepVerifier.create(engine.history(channel, HistoryQuery.after(third.position())))
        .assertNext(
            page -> {
              assertThat(page.recovered()).isTrue();
              assertThat(page.publications())
                  .extracting(Publication::offset)
                  .containsExactly(4L, 5L);
              assertThat(page.latest()).isEqualTo(new StreamPosition(5, third.epoch()));
            })
        .expectComplete()
        .verify(TIMEOUT);
  }

  @Test
  void historyWithAnotherEpochIsNotRecovered() {
    ChannelName channel = channel("news");
    publishAll(channel, 2);
    StepVerifier.create(engine.history(channel, HistoryQuery.after(new StreamPosition(1, "other"))))
        .assertNext(page -> assertThat(page.recovered()).isFalse())
        .expectComplete()
        .verify(TIMEOUT);
  }

  @Test
  void historyIsBoundedBySizeAndAnOlderPositionIsNotRecovered() {
    ChannelName channel = channel("short");
    List<Publication> published = publishAll(channel, 6);
    String epoch = published.get(0).epoch();
    StepVerifier.create(engine.history(channel, new HistoryQuery(null, HistoryQuery.ALL)))
        .assertNext(
            page ->
                assertThat(page.publications())
                    .extracting(Publication::offset)
                    .containsExactly(4L, 5L, 6L))
        .expectComplete()
        .verify(TIMEOUT);
    StepVerifier.create(engine.history(channel, HistoryQuery.after(new StreamPosition(2, epoch))))
        .assertNext(page -> assertThat(page.recovered()).isFalse())
        .expectComplete()
        .verify(TIMEOUT);
    StepVerifier.create(engine.history(channel, HistoryQuery.after(new StreamPosition(3, epoch))))
        .assertNext(page -> assertThat(page.recovered()).isTrue())
        .expectComplete()
        .verify(TIMEOUT);
  }

  @Test
  void historyLimitReturnsTheOldestFirst() {
    ChannelName channel = channel("news");
    publishAll(channel, 5);
    StepVerifier.create(engine.history(channel, new HistoryQuery(null, 2)))
        .assertNext(
            page ->
                assertThat(page.publications())
                    .extracting(Publication::offset)
                    .containsExactly(1L, 2L))
        .expectComplete()
        .verify(TIMEOUT);
  }

  @Test
  void onlySubscribedChannelsAreDeliveredInOrder() {
    ChannelName subscribed = channel("news");
    ChannelName other = channel("news");
    StepVerifier.create(engine.subscribe(subscribed)).expectComplete().verify(TIMEOUT);
    publishAll(subscribed, 3);
    publishAll(other, 2);
    assertThat(listener.publications).extracting(Publication::channel).containsOnly(subscribed);
    assertThat(listener.publications).extracting(Publication::offset).containsExactly(1L, 2L, 3L);
    assertThat(listener.resets).as("an unbroken sequence is never reset").isEmpty();
    StepVerifier.create(engine.unsubscribe(subscribed)).expectComplete().verify(TIMEOUT);
    publishAll(subscribed, 1);
    assertThat(listener.publications).hasSize(3);
  }

  @Test
  void aNewSubscriberOfAFreshChannelIsDeliveredItsFirstPublicationsWithoutAReset() {
    ChannelName channel = channel("news");
    StepVerifier.create(
            engine.subscribe(channel).then(engine.history(channel, HistoryQuery.positionOnly())))
        .assertNext(page -> assertThat(page.latest().offset()).isZero())
        .expectComplete()
        .verify(TIMEOUT);
    List<Publication> published = publishAll(channel, 2);
    assertThat(listener.publications).containsExactlyElementsOf(published);
    assertThat(listener.resets)
        .as("the epoch a subscriber starts from is the one the first publication gets")
        .isEmpty();
  }

  @Test
  void historyIsCutAtTheByteBoundButAlwaysHoldsOnePublication() {
    ChannelName channel = channel("news");
    String kilobyte = "x".repeat(1024);
    for (int i = 0; i < 4; i++) {
      StepVerifier.create(
              engine.publish(channel, JsonNodeFactory.instance.stringNode(kilobyte), null))
          .expectNextCount(1)
          .expectComplete()
          .verify(TIMEOUT);
    }
    StepVerifier.create(engine.history(channel, new HistoryQuery(null, HistoryQuery.ALL, 2_500)))
        .assertNext(
            page ->
                assertThat(page.publications())
                    .extracting(Publication::offset)
                    .containsExactly(1L, 2L))
        .expectComplete()
        .verify(TIMEOUT);
    StepVerifier.create(engine.history(channel, new HistoryQuery(null, HistoryQuery.ALL, 1)))
        .assertNext(
            page ->
                assertThat(page.publications()).extracting(Publication::offset).containsExactly(1L))
        .expectComplete()
        .verify(TIMEOUT);
  }

  @Test
  void presenceListsJoinedClientsAndAnnouncesJoinAndLeave() {
    ChannelName channel = channel("chat:room");
    ClientInfo alice = new ClientInfo("alice", "c1", "node-1");
    StepVerifier.create(engine.subscribe(channel).then(engine.join(channel, alice)))
        .expectComplete()
        .verify(TIMEOUT);
    StepVerifier.create(engine.presence(channel))
        .assertNext(clients -> assertThat(clients).containsExactly(alice))
        .expectComplete()
        .verify(TIMEOUT);
    StepVerifier.create(engine.leave(channel, alice).then(engine.presence(channel)))
        .assertNext(clients -> assertThat(clients).isEmpty())
        .expectComplete()
        .verify(TIMEOUT);
    assertThat(listener.joins).containsExactly(alice);
    assertThat(listener.leaves).containsExactly(alice);
  }

  @Test
  void presenceComesInPagesInTheOrderOfConnectionIds() {
    ChannelName channel = channel("chat:room");
    List<ClientInfo> clients =
        List.of(
            new ClientInfo("carol", "c3", "node-1"),
            new ClientInfo("alice", "c1", "node-1"),
            new ClientInfo("bob", "c2", "node-1"));
    StepVerifier.create(
            engine
                .subscribe(channel)
                .thenMany(Flux.fromIterable(clients).concatMap(c -> engine.join(channel, c)))
                .then())
        .expectComplete()
        .verify(TIMEOUT);
    PresencePage first = engine.presence(channel, new PresenceQuery(null, 2)).block(TIMEOUT);
    assertThat(first.clients()).extracting(ClientInfo::client).containsExactly("c1", "c2");
    assertThat(first.cursor()).isNotNull();
    PresencePage second =
        engine.presence(channel, new PresenceQuery(first.cursor(), 2)).block(TIMEOUT);
    assertThat(second.clients()).extracting(ClientInfo::client).containsExactly("c3");
    assertThat(second.cursor()).as("the last page has no cursor").isNull();
  }

  @Test
  void aRepeatedIdempotencyKeyPublishesNothingAndAnswersTheFirstPosition() {
    ChannelName channel = channel("news");
    engine.subscribe(channel).block(TIMEOUT);
    PublishOutcome first =
        engine.publishOnce(channel, data(1), "order-17", Duration.ofMinutes(5)).block(TIMEOUT);
    PublishOutcome repeat =
        engine.publishOnce(channel, data(2), "order-17", Duration.ofMinutes(5)).block(TIMEOUT);
    assertThat(first.repeat()).isFalse();
    assertThat(first.position().offset()).isEqualTo(1);
    assertThat(repeat.repeat()).isTrue();
    assertThat(repeat.position()).isEqualTo(first.position());
    Publication next = publishAll(channel, 1).get(0);
    assertThat(next.offset()).as("the repeat took no offset").isEqualTo(2);
    assertThat(listener.publications)
        .extracting(Publication::offset)
        .as("the repeat was not delivered")
        .containsExactly(1L, 2L);
  }

  @Test
  void anIdempotencyKeyIsPerChannel() {
    ChannelName one = channel("news");
    ChannelName other = channel("news");
    publishAll(other, 2);
    PublishOutcome first =
        engine.publishOnce(one, data(1), "k", Duration.ofMinutes(5)).block(TIMEOUT);
    PublishOutcome second =
        engine.publishOnce(other, data(1), "k", Duration.ofMinutes(5)).block(TIMEOUT);
    assertThat(first.repeat()).isFalse();
    assertThat(second.repeat()).isFalse();
    assertThat(second.position().offset()).isEqualTo(3);
  }

  protected List<Publication> publishAll(ChannelName channel, int count) {
    List<Publication> published =
        Flux.range(1, count)
            .concatMap(n -> engine.publish(channel, data(n), null))
            .collectList()
            .block(TIMEOUT);
    assertThat(published).hasSize(count);
    return published;
  }

  /** Records what the engine delivers. */
  protected static final class RecordingListener implements EngineListener {
    final List<Publication> publications = new CopyOnWriteArrayList<>();
    final List<ClientInfo> joins = new CopyOnWriteArrayList<>();
    final List<ClientInfo> leaves = new CopyOnWriteArrayList<>();
    final List<StreamPosition> resets = new CopyOnWriteArrayList<>();

    /** What was delivered so far, in delivery order. */
    public List<Publication> publications() {
      return List.copyOf(publications);
    }

    public List<ClientInfo> joins() {
      return List.copyOf(joins);
    }

    public List<ClientInfo> leaves() {
      return List.copyOf(leaves);
    }

    /** The positions of every {@code onReset}, in call order. */
    public List<StreamPosition> resets() {
      return List.copyOf(resets);
    }

    @Override
    public void onPublication(Publication publication) {
      publications.add(publication);
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
    }
  }
}
