package herald.connection;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToIntFunction;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * One connection's outbound queue: bounded in count and in bytes, allocated as it fills.
 *
 * <p>Any thread may {@link #offer}; emissions are serialised on the queue's monitor (sinks are
 * single-writer). When the transport cannot write as fast as messages arrive and the queue holds
 * {@code capacity} items or {@code capacityBytes} bytes, {@link #offer} returns {@code false}: the
 * connection is a slow consumer and its owner must close it. {@link #items()} is a unicast, hot
 * Flux for the transport's writer. An item's size is what {@code sizer} says; it is asked once when
 * the item is queued and once when it is taken, so it must be cheap and give the same answer.
 *
 * @param <T> what the transport writes
 */
public final class OutboundQueue<T> {

  private static final int LINK_SIZE = 16;

  private final Sinks.Many<T> sink =
      Sinks.many().unicast().onBackpressureBuffer(Queues.<T>unbounded(LINK_SIZE).get());
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicLong queuedBytes = new AtomicLong();
  private final int capacity;
  private final long capacityBytes;
  private final ToIntFunction<? super T> sizer;
  private final AtomicBoolean ending = new AtomicBoolean();
  private final Sinks.Empty<Void> ended = Sinks.empty();
  private final Sinks.Empty<Void> aborted = Sinks.empty();
  private volatile boolean wasAborted;

  /**
   * @param capacity most items waiting
   * @param capacityBytes most bytes waiting; one item larger than this is still taken when nothing
   *     else waits, so that a single large item does not end a client that reads
   * @param sizer an item's size in bytes as the transport will write it
   */
  public OutboundQueue(int capacity, long capacityBytes, ToIntFunction<? super T> sizer) {
    this.capacity = capacity;
    this.capacityBytes = capacityBytes;
    this.sizer = sizer;
  }

  /**
   * Queues {@code item}. Returns {@code false}, queuing nothing, when the queue is full (in count
   * or bytes) or closed.
   */
  public boolean offer(T item) {
    if (queued.incrementAndGet() > capacity) {
      queued.decrementAndGet();
      return false;
    }
    int bytes = sizer.applyAsInt(item);
    long total = queuedBytes.addAndGet(bytes);
    if (total > capacityBytes && total != bytes) {
      queuedBytes.addAndGet(-bytes);
      queued.decrementAndGet();
      return false;
    }
    if (!emit(item)) {
      queuedBytes.addAndGet(-bytes);
      return false;
    }
    return true;
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
    queuedBytes.addAndGet(sizer.applyAsInt(last));
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

  /** How many bytes wait to be written. */
  public long bytes() {
    return queuedBytes.get();
  }

  /** The queued items, for the one writer. Cancelling it drops whatever is still queued. */
  public Flux<T> items() {
    return sink.asFlux().doOnNext(this::taken);
  }

  private void taken(T item) {
    queued.decrementAndGet();
    queuedBytes.addAndGet(-sizer.applyAsInt(item));
  }
}
