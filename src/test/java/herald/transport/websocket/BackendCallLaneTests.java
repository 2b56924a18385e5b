package herald.transport.websocket;

import static org.assertj.core.api.Assertions.assertThat;

import herald.protocol.Reply;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** The lane of calls that wait for a backend: its limit, its replies, its end. */
class BackendCallLaneTests {

  private final List<Reply> replies = new CopyOnWriteArrayList<>();

  @Test
  void pastItsLimitACallIsRefusedUntilTheCallInFlightEnds() {
    BackendCallLane lane = new BackendCallLane(1);
    Sinks.One<Reply> backend = Sinks.one();

    assertThat(lane.start(backend.asMono(), this::replied)).isTrue();
    assertThat(lane.start(Mono.just(ok(2)), this::replied)).isFalse();
    backend.tryEmitValue(ok(1));
    assertThat(lane.start(Mono.just(ok(3)), this::replied)).isTrue();

    assertThat(replies).extracting(Reply::id).containsExactly(1L, 3L);
  }

  @Test
  void theNextCallIsTakenAsSoonAsThePreviousReplyIsHandedOn() {
    BackendCallLane lane = new BackendCallLane(1);
    Sinks.One<Reply> first = Sinks.one();
    AtomicBoolean nextTaken = new AtomicBoolean();

    lane.start(
        first.asMono(),
        reply -> {
          replied(reply);
          nextTaken.set(lane.start(Mono.just(ok(2)), this::replied));
        });
    first.tryEmitValue(ok(1));

    assertThat(nextTaken).isTrue();
    assertThat(replies).extracting(Reply::id).containsExactly(1L, 2L);
  }

  @Test
  void whenTheConnectionEndsTheCallsStillWaitingAreCancelledAndNoneStarts() {
    BackendCallLane lane = new BackendCallLane(2);
    AtomicBoolean cancelled = new AtomicBoolean();
    lane.start(Mono.<Reply>never().doOnCancel(() -> cancelled.set(true)), this::replied);

    lane.close();

    assertThat(cancelled).isTrue();
    assertThat(lane.start(Mono.just(ok(2)), this::replied)).as("closed").isFalse();
    assertThat(replies).isEmpty();
  }

  @Test
  void aLaneClosedBeforeItsFirstCallStartsNone() {
    BackendCallLane lane = new BackendCallLane(1);

    lane.close();

    assertThat(lane.start(Mono.just(ok(1)), this::replied)).isFalse();
    assertThat(replies).isEmpty();
  }

  private void replied(Reply reply) {
    replies.add(reply);
  }

  private static Reply ok(long id) {
    return Reply.ok(id, new Reply.Empty());
  }
}
