package herald;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Proves that BlockHound guards every test run, so blocking on a reactive thread fails a test. */
class BlockHoundIsActiveTests {

  @Test
  void blockingOnAParallelThreadFails() {
    Mono<String> blocking =
        Mono.fromCallable(
                () -> {
                  Thread.sleep(1);
                  return "";
                })
            .subscribeOn(Schedulers.parallel());
    StepVerifier.create(blocking)
        .expectError(BlockingOperationError.class)
        .verify(Duration.ofSeconds(5));
  }
}
