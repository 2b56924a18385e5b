package herald.engine.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

class ConnectAttemptTests {

  private static final Duration LIMIT = Duration.ofSeconds(6);

  private final List<String> discarded = new CopyOnWriteArrayList<>();

  @Test
  void emitsTheConnectionWhenItOpensInTime() {
    StepVerifier.create(
            ConnectAttempt.within(
                LIMIT,
                Schedulers.parallel(),
                () -> CompletableFuture.completedFuture("connection"),
                discarded::add))
        .expectNext("connection")
        .verifyComplete();
    assertThat(discarded).isEmpty();
  }

  @Test
  void failsWithTheAttemptsOwnError() {
    StepVerifier.create(
            ConnectAttempt.within(
                LIMIT,
                Schedulers.parallel(),
                () -> CompletableFuture.<String>failedFuture(new IOException("refused")),
                discarded::add))
        .expectErrorMessage("refused")
        .verify(Duration.ofSeconds(5));
  }

  @Test
  void anAttemptThatThrowsFailsLikeOneThatFails() {
    StepVerifier.create(
            ConnectAttempt.<String>within(
                LIMIT,
                Schedulers.parallel(),
                () -> {
                  throw new IllegalStateException("client shut down");
                },
                discarded::add))
        .expectErrorMessage("client shut down")
        .verify(Duration.ofSeconds(5));
  }

  @Test
  void anAttemptThatNeverEndsFailsAtItsLimitAndWhatItOpensLaterIsClosed() {
    VirtualTimeScheduler time = VirtualTimeScheduler.create();
    CompletableFuture<String> hung = new CompletableFuture<>();
    StepVerifier.create(ConnectAttempt.within(LIMIT, time, () -> hung, discarded::add))
        .then(() -> time.advanceTimeBy(LIMIT.minusMillis(1)))
        .expectNoEvent(Duration.ZERO)
        .then(() -> time.advanceTimeBy(Duration.ofMillis(1)))
        .expectError(TimeoutException.class)
        .verify(Duration.ofSeconds(5));

    hung.complete("late connection");
    assertThat(discarded).containsExactly("late connection");
  }

  @Test
  void aCancelledAttemptClosesWhatItOpensLater() {
    CompletableFuture<String> pending = new CompletableFuture<>();
    StepVerifier.create(
            ConnectAttempt.within(LIMIT, Schedulers.parallel(), () -> pending, discarded::add))
        .thenCancel()
        .verify(Duration.ofSeconds(5));

    pending.complete("connection after cancel");
    assertThat(discarded).containsExactly("connection after cancel");
  }
}
