package herald.transport.websocket;

import herald.protocol.Reply;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The commands of one connection that wait for a backend (publishes in proxied namespaces, {@code
 * rpc}), run beside its command chain rather than in it: while a backend takes its time, the
 * connection's other commands go on. At most {@code herald.proxy.max-in-flight-per-connection} of
 * them at once; one more is refused (429) rather than queued, so a client cannot pile up calls.
 *
 * <p>The calls are subscribed by {@link #run}, which is part of the connection's own reactive
 * chain: nothing here subscribes by itself, and when the connection ends the calls still waiting
 * are cancelled (their HTTP requests aborted).
 */
final class BackendCallLane {

  private final Sinks.Many<Mono<Reply>> calls = Sinks.many().unicast().onBackpressureBuffer();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final int max;

  BackendCallLane(int max) {
    this.max = max;
  }

  /**
   * Starts {@code call} unless {@code max} calls are in flight, and hands its reply to {@code
   * reply}. The call's place is given back before its reply is handed on, so a client that sends
   * its next call as soon as it reads the reply is not refused. Called from the command chain only,
   * so one thread at a time; calls end on any thread.
   *
   * @param call emits the reply, error replies included; it must not fail
   * @return whether it was started
   */
  boolean start(Mono<Reply> call, Consumer<Reply> reply) {
    if (inFlight.incrementAndGet() > max) {
      inFlight.decrementAndGet();
      return false;
    }
    AtomicBoolean released = new AtomicBoolean();
    Runnable release =
        () -> {
          if (released.compareAndSet(false, true)) {
            inFlight.decrementAndGet();
          }
        };
    Mono<Reply> started =
        call.doOnNext(
                answer -> {
                  release.run();
                  reply.accept(answer);
                })
            .doFinally(signal -> release.run());
    if (calls.tryEmitNext(started).isFailure()) {
      release.run();
      return false;
    }
    return true;
  }

  /** Runs the started calls until {@code ended} completes; then cancels those still in flight. */
  Mono<Void> run(Mono<Void> ended) {
    // The sink holds at most max calls (start refuses more), and flatMap runs max at once.
    return calls.asFlux().flatMap(call -> call, max).takeUntilOther(ended).then();
  }
}
