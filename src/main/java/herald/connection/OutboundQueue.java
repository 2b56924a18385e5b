package herald.connection;

import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * One connection's outbound queue: bounded in count, allocated as it fills.
 *
 * <p>Any thread may {@link #offer}; emissions are serialised on the queue's monitor (sinks are
 * single-writer). When the transport cannot write as fast as messages arrive and the queue holds
 * {@code capacity} items, {@link #offer} returns {@code false}: the connection is a slow consumer
 * and its owner must close it. {@link #items()} is a unicast, hot Flux for the transport's writer.
 *
 * @param <T> what the transport writes
 */
public final class OutboundQueue<T> {

  private static final int LINK_SIZE = 16;

  private final Sinks.Many<T> sink =
      Sinks.many().unicast().onBackpressureBuffer(Queues.<T>unbounded(LINK_SIZE).get());
  private final AtomicInteger queued = new AtomicInteger();
  private final int capacity;

  public OutboundQueue(int capacity) {
    this.capacity = capacity;
  }

  /**
   * Queues {@code item}. Returns {@code false}, queuing nothing, when the queue is full or closed.
   */
  public boolean offer(T item) {
    if (queued.incrementAndGet() > capacity) {
      queued.decrementAndGet();
      return false;
    }
    return emit(item);
  }

  /**
   * Queues {@code item} even when the queue is full: for the one final frame ({@code disconnect})
   * before the queue completes.
   */
  public boolean offerFinal(T item) {
    queued.incrementAndGet();
    return emit(item);
  }

  private boolean emit(T item) {
    Sinks.EmitResult result;
    synchronized (this) {
      result = sink.tryEmitNext(item);
    }
    if (result.isFailure()) {
      queued.decrementAndGet();
      return false;
    }
    return true;
  }

  /** Ends the stream after what is queued; later offers are refused. */
  public void complete() {
    synchronized (this) {
      sink.tryEmitComplete();
    }
  }

  /** How many items wait to be written. */
  public int size() {
    return queued.get();
  }

  /** The queued items, for the one writer. Cancelling it drops whatever is still queued. */
  public Flux<T> items() {
    return sink.asFlux().doOnNext(item -> queued.decrementAndGet());
  }
}
