package herald.connection;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

class OutboundQueueTests {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @Test
  void refusesAnItemThatWouldTakeTheQueuedBytesPastTheBound() {
    OutboundQueue<String> queue = new OutboundQueue<>(100, 10, String::length);

    assertThat(queue.offer("aaaa")).isTrue();
    assertThat(queue.offer("bbbb")).isTrue();
    assertThat(queue.offer("ccc")).as("11 bytes would pass the bound of 10").isFalse();
    assertThat(queue.offer("cc")).isTrue();
    assertThat(queue.bytes()).isEqualTo(10);
    assertThat(queue.size()).isEqualTo(3);

    StepVerifier.create(queue.items().take(3))
        .expectNext("aaaa", "bbbb", "cc")
        .expectComplete()
        .verify(TIMEOUT);
    assertThat(queue.bytes()).as("taken items free their bytes").isZero();
  }

  @Test
  void oneItemLargerThanTheBoundIsTakenWhenNothingElseWaits() {
    OutboundQueue<String> queue = new OutboundQueue<>(100, 3, String::length);

    assertThat(queue.offer("large")).isTrue();
    assertThat(queue.offer("x")).isFalse();
  }

  @Test
  void theCountBoundStillHolds() {
    OutboundQueue<String> queue = new OutboundQueue<>(2, 1_000, String::length);

    assertThat(queue.offer("a")).isTrue();
    assertThat(queue.offer("b")).isTrue();
    assertThat(queue.offer("c")).isFalse();
  }
}
