package herald.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import herald.protocol.Reply;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/** The lane of calls that wait for a backend: its limit, its replies, its end. */
class BackendCallLaneTests {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final List<Reply> replies = new CopyOnWriteArrayList<>();

  @Test
  void pastItsLimitACallIsRefusedUntilTheCallInFlightEnds() {
    BackendCallLane lane = new BackendCallLane(1);
    Sinks.Empty<Void> ended = Sinks.empty();
    Sinks.One<Reply> backend = Sinks.one();

    StepVerifier.create(lane.run(ended.asMono()))
        .then(() -> assertThat(lane.start(backend.asMono(), this::replied)).isTrue())
        .then(() -> assertThat(lane.start(Mono.just(ok(2)), this::replied)).isFalse())
        .then(() -> backend.tryEmitValue(ok(1)))
        .then(() -> assertThat(lane.start(Mono.just(ok(3)), this::replied)).isTrue())
        .then(ended::tryEmitEmpty)
        .expectComplete()
        .verify(TIMEOUT);

    assertThat(replies).extracting(Reply::id).containsExactly(1L, 3L);
  }

  @Test
  void theNextCallIsTakenAsSoonAsThePreviousReplyIsHandedOn() {
    BackendCallLane lane = new BackendCallLane(1);
    Sinks.Empty<Void> ended = Sinks.empty();
    Sinks.One<Reply> first = Sinks.one();
    AtomicBoolean nextTaken = new AtomicBoolean();

    StepVerifier.create(lane.run(ended.asMono()))
        .then(
            () ->
                lane.start(
                    first.asMono(),
                    reply -> {
                      replied(reply);
                      nextTaken.set(lane.start(Mono.just(ok(2)), this::replied));
                    }))
        .then(() -> first.tryEmitValue(ok(1)))
        .then(ended::tryEmitEmpty)
        .expectComplete()
        .verify(TIMEOUT);

    assertThat(nextTaken).isTrue();
    assertThat(replies).extracting(Reply::id).containsExactly(1L, 2L);
  }

  @Test
  void whenTheConnectionEndsTheCallsStillWaitingAreCancelled() {
    BackendCallLane lane = new BackendCallLane(2);
    Sinks.Empty<Void> ended = Sinks.empty();
    AtomicBoolean cancelled = new AtomicBoolean();

    StepVerifier.create(lane.run(ended.asMono()))
        .then(
            () ->
                lane.start(
                    Mono.<Reply>never().doOnCancel(() -> cancelled.set(true)), this::replied))
        .then(ended::tryEmitEmpty)
        .expectComplete()
        .verify(TIMEOUT);

    assertThat(cancelled).isTrue();
    assertThat(replies).isEmpty();
  }

  private void replied(Reply reply) {
    replies.add(reply);
  }

  private static Reply ok(long id) {
    return Reply.ok(id, new Reply.Empty());
  }
}
