package herald.transport.websocket;

import herald.protocol.Reply;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * The commands of one connection that wait for a backend (publishes in proxied namespaces, {@code
 * rpc}), run beside its command chain rather than in it: while a backend takes its time, the
 * connection's other commands go on. At most {@code herald.proxy.max-in-flight-per-connection} of
 * them at once; one more is refused (429) rather than queued, so a client cannot pile up calls.
 *
 * <p>Each call is subscribed when it starts and kept in a set made at the first call, so the many
 * connections that never make one hold nothing for it. {@link #close} (the connection ended)
 * cancels the calls still waiting, which aborts their HTTP requests, and refuses new ones.
 */
final class BackendCallLane {

  private final AtomicInteger inFlight = new AtomicInteger();
  private final int max;
  private volatile Disposable.@Nullable Composite running;
  private volatile boolean closed;

  BackendCallLane(int max) {
    this.max = max;
  }

  /**
   * Starts {@code call} unless {@code max} calls are in flight or the lane is closed, and hands its
   * reply to {@code reply}. The call's place is given back before its reply is handed on, so a
   * client that sends its next call as soon as it reads the reply is not refused. Called from the
   * command chain only, so one thread at a time; calls end on any thread.
   *
   * @param call emits the reply, error replies included; it must not fail
   * @return whether it was started
   */
  boolean start(Mono<Reply> call, Consumer<Reply> reply) {
    if (inFlight.incrementAndGet() > max) {
      inFlight.decrementAndGet();
      return false;
    }
    Disposable.Composite calls = running();
    Call subscriber = new Call(calls, reply);
    if (closed || !calls.add(subscriber)) {
      inFlight.decrementAndGet();
      return false;
    }
    call.subscribe(subscriber);
    return true;
  }

  /** Cancels the calls still in flight and refuses new ones: the connection ended. */
  void close() {
    closed = true;
    Disposable.Composite calls = running;
    if (calls != null) {
      calls.dispose();
    }
  }

  private Disposable.Composite running() {
    Disposable.Composite calls = running;
    if (calls == null) {
      synchronized (this) {
        calls = running;
        if (calls == null) {
          calls = Disposables.composite();
          running = calls;
        }
      }
    }
    if (closed) {
      calls.dispose();
    }
    return calls;
  }

  /** One call in flight: gives its place back once, then hands on its reply. */
  private final class Call extends BaseSubscriber<Reply> {
    private final Disposable.Composite calls;
    private final Consumer<Reply> reply;
    private boolean released; // signals of one subscriber are serial

    Call(Disposable.Composite calls, Consumer<Reply> reply) {
      this.calls = calls;
      this.reply = reply;
    }

    @Override
    protected void hookOnNext(Reply answer) {
      release();
      reply.accept(answer);
    }

    @Override
    protected void hookFinally(SignalType type) {
      release();
      calls.remove(this);
    }

    private void release() {
      if (!released) {
        released = true;
        inFlight.decrementAndGet();
      }
    }
  }
}
