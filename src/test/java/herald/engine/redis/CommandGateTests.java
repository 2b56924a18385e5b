package herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import herald.engine.EngineUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/** The gate in front of the command connection: a bounded number in flight, a bounded queue. */
class CommandGateTests {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final CommandGate gate = new CommandGate(3, 5, Schedulers.parallel());
  private final AtomicInteger running = new AtomicInteger();
  private final AtomicInteger mostRunning = new AtomicInteger();
  private final List<Sinks.One<String>> commands = new CopyOnWriteArrayList<>();

  /** A command that runs until the test completes it, counting how many run at once. */
  private Mono<String> command() {
    return Mono.defer(
        () -> {
          Sinks.One<String> reply = Sinks.one();
          commands.add(reply);
          mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
          // Counted down before the gate sees the end, which is when it lets the next one in.
          return reply
              .asMono()
              .doOnTerminate(running::decrementAndGet)
              .doOnCancel(running::decrementAndGet);
        });
  }

  @Test
  void atMostTheLimitRunsAtOnceAndTheQueueRunsInOrderAsPermitsFree() {
    List<String> answers = new CopyOnWriteArrayList<>();
    for (int i = 0; i < 8; i++) {
      gate.admit(command()).subscribe(answers::add);
    }
    assertThat(commands).hasSize(3);
    assertThat(gate.queued()).isEqualTo(5);

    // Each completion lets exactly one queued command start.
    for (int done = 0; done < 8; done++) {
      int index = done;
      await().atMost(TIMEOUT).until(() -> commands.size() > index);
      commands.get(index).tryEmitValue("reply " + index);
    }

    await().atMost(TIMEOUT).until(() -> answers.size() == 8);
    assertThat(mostRunning).hasValue(3);
    assertThat(answers).containsExactly(replies(8));
    assertThat(gate.inFlight()).isZero();
  }

  @Test
  void aFullQueueRefusesAtOnceWithARetryableError() {
    for (int i = 0; i < 8; i++) {
      gate.admit(command()).subscribe();
    }
    AtomicInteger refused = new AtomicInteger();
    gate.admit(command())
        .subscribe(
            value -> {},
            error -> {
              assertThat(error)
                  .isInstanceOf(EngineUnavailableException.class)
                  .hasMessageContaining("busy");
              refused.incrementAndGet();
            });
    assertThat(refused).hasValue(1);
    assertThat(commands).hasSize(3);
  }

  @Test
  void failuresAndCancellationsGiveTheirPermitsBack() {
    List<Disposable> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      held.add(gate.admit(command()).subscribe(value -> {}, error -> {}));
    }
    Disposable queued = gate.admit(command()).subscribe();
    assertThat(gate.queued()).isEqualTo(1);

    queued.dispose(); // leaves the queue without ever running
    assertThat(gate.queued()).isZero();
    commands.get(0).tryEmitError(new IllegalStateException("Redis said no"));
    held.get(1).dispose(); // cancelled while running

    await().atMost(TIMEOUT).until(() -> gate.inFlight() == 1);
    List<String> answers = new CopyOnWriteArrayList<>();
    gate.admit(command()).subscribe(answers::add);
    gate.admit(command()).subscribe(answers::add);
    assertThat(gate.queued()).isZero();
    assertThat(commands).hasSize(5);
    commands.get(3).tryEmitValue("a");
    commands.get(4).tryEmitValue("b");
    assertThat(answers).containsExactly("a", "b");
    assertThat(gate.inFlight()).isEqualTo(1);
  }

  @Test
  void aLongRunOfCommandsFailingAtOnceNeitherRecursesNorLeaksPermits() {
    CommandGate wide = new CommandGate(1, 100_000, Schedulers.parallel());
    Sinks.One<String> first = Sinks.one();
    AtomicInteger failed = new AtomicInteger();
    wide.admit(first.asMono()).subscribe(value -> {}, error -> failed.incrementAndGet());
    for (int i = 0; i < 50_000; i++) {
      wide.admit(Mono.<String>error(new IllegalStateException("not connected")))
          .subscribe(value -> {}, error -> failed.incrementAndGet());
    }
    first.tryEmitError(new IllegalStateException("not connected"));

    await().atMost(Duration.ofSeconds(30)).until(() -> failed.get() == 50_001);
    assertThat(wide.inFlight()).isZero();
    assertThat(wide.queued()).isZero();
  }

  private static String[] replies(int count) {
    String[] replies = new String[count];
    for (int i = 0; i < count; i++) {
      replies[i] = "reply " + i;
    }
    return replies;
  }
}
