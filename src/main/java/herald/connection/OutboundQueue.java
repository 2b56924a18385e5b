package herald.connection;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
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
  private final AtomicBoolean ending = new AtomicBoolean();
  private final Sinks.Empty<Void> ended = Sinks.empty();
  private final Sinks.Empty<Void> aborted = Sinks.empty();
  private volatile boolean wasAborted;

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
   * Ends the connection politely: queues {@code last} (its {@code disconnect}) even when the queue
   * is full, then completes, so the writer sends what is queued and then {@code last}. Returns
   * {@code false}, doing nothing, when the connection is already ending.
   */
  public boolean finish(T last) {
    if (!ending.compareAndSet(false, true)) {
      return false;
    }
    queued.incrementAndGet();
    emit(last);
    end();
    return true;
  }

  /**
   * Ends a slow consumer: what is queued is to be dropped, not written, since the client cannot
   * read it and writing it first would only delay freeing its buffers. Returns {@code false}, doing
   * nothing, when the connection is already ending.
   */
  public boolean abort() {
    if (!ending.compareAndSet(false, true)) {
      return false;
    }
    wasAborted = true;
    aborted.tryEmitEmpty();
    end();
    return true;
  }

  /**
   * The client went away: no final item, nothing more to write. Returns {@code false} when the
   * connection was already ending (the server ended it).
   */
  public boolean terminate() {
    boolean first = !ending.getAndSet(true);
    end();
    return first;
  }

  private void end() {
    complete();
    ended.tryEmitEmpty();
  }

  /** Whether the connection started to end, in any of the three ways. */
  public boolean isEnding() {
    return ending.get();
  }

  /** Whether the connection ended as a slow consumer. */
  public boolean isAborted() {
    return wasAborted;
  }

  /** Completes when the connection starts to end, for whatever reason. */
  public Mono<Void> ended() {
    return ended.asMono();
  }

  /** Completes when queued items must be dropped rather than written. */
  public Mono<Void> aborted() {
    return aborted.asMono();
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

  private void complete() {
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
