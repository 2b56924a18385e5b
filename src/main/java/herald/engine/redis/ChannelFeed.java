package herald.engine.redis;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.EngineListener;
import herald.engine.HistoryPage;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * One subscribed channel's delivery to this node's listener, in offset order with no gap and no
 * duplicate: a serial queue in front of the listener.
 *
 * <p>Publications come from pub/sub in any state. Before the baseline (the channel's offset when
 * the SUBSCRIBE was acknowledged) is known, and while a gap is being filled from history, they wait
 * in a bounded queue; past its bound the oldest is dropped, which later shows as a gap and is
 * filled from history again. An offset at or below the last delivered is a duplicate and dropped;
 * one beyond the next, or one of another epoch, starts a fill of everything after the last
 * delivered.
 *
 * <p>When the history cannot fill the gap (Redis lost the channel and a new epoch began, or the
 * missed offsets were trimmed or expired), the feed never jumps silently: it tells the listener
 * {@link EngineListener#onReset} with the position it continues from (just before the oldest
 * publication the history still holds, or the latest position when it holds none), then delivers
 * from there. Messages of the lost sequence that arrive late are dropped.
 *
 * <p>Every method holds the feed's monitor, so the listener gets one call at a time per channel.
 * The listener must not block (it runs on Redis I/O threads).
 */
final class ChannelFeed {

  private static final Logger log = LoggerFactory.getLogger(ChannelFeed.class);

  private final ChannelName channel;
  private final Supplier<EngineListener> listener;
  private final Function<StreamPosition, Mono<HistoryPage>> historyAfter;
  private final int pendingLimit;
  private final Duration deliveryWait;
  private final ArrayDeque<Publication> pending = new ArrayDeque<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private @Nullable String epoch;
  private long last;
  private boolean live;
  private boolean filling;
  private boolean closed;
  private @Nullable Disposable fill;

  /**
   * @param historyAfter reads the history after a position, retrying as it sees fit
   * @param deliveryWait the longest {@link #delivered} waits
   */
  ChannelFeed(
      ChannelName channel,
      Supplier<EngineListener> listener,
      Function<StreamPosition, Mono<HistoryPage>> historyAfter,
      int pendingLimit,
      Duration deliveryWait) {
    this.channel = channel;
    this.listener = listener;
    this.historyAfter = historyAfter;
    this.pendingLimit = pendingLimit;
    this.deliveryWait = deliveryWait;
  }

  ChannelName channel() {
    return channel;
  }

  /** Sets the baseline: publications up to {@code latest} are not this feed's to deliver. */
  synchronized void start(StreamPosition latest) {
    epoch = latest.epoch();
    last = latest.offset();
    live = true;
    drain();
  }

  /** A publication from pub/sub. */
  synchronized void offer(Publication publication) {
    if (closed) {
      return;
    }
    if (pending.size() >= pendingLimit) {
      pending.pollFirst();
    }
    pending.addLast(publication);
    drain();
  }

  /** A join or leave from another node. */
  synchronized void announce(ClientInfo client, boolean join) {
    if (closed) {
      return;
    }
    if (join) {
      listener.get().onJoin(channel, client);
    } else {
      listener.get().onLeave(channel, client);
    }
  }

  /**
   * Reads everything after the last delivered publication, as after a pub/sub reconnect that may
   * have lost messages.
   */
  synchronized void resync() {
    if (live && !filling && !closed) {
      startFill();
    }
  }

  /**
   * Completes once {@code publication} (or a later one of its epoch) has been delivered, or after
   * the delivery wait, or when the feed closes. Never fails.
   */
  synchronized Mono<Void> delivered(Publication publication) {
    if (closed || isDelivered(publication)) {
      return Mono.empty();
    }
    Waiter waiter = new Waiter(publication, Sinks.empty());
    waiters.add(waiter);
    return waiter.sink.asMono().timeout(deliveryWait, Mono.empty());
  }

  /** Stops delivering; a fill in flight is cancelled. */
  synchronized void close() {
    closed = true;
    pending.clear();
    Disposable inFlight = fill;
    if (inFlight != null) {
      inFlight.dispose();
    }
    releaseWaiters(waiting -> true);
  }

  private void drain() {
    while (live && !filling && !closed && !pending.isEmpty()) {
      accept(pending.pollFirst());
    }
  }

  private void accept(Publication publication) {
    boolean sameEpoch = publication.epoch().equals(epoch);
    if (sameEpoch && publication.offset() <= last) {
      return;
    }
    if (sameEpoch && publication.offset() == last + 1) {
      deliver(publication);
      return;
    }
    // A gap, or another epoch: a new sequence after Redis lost the channel, or a late message of
    // an old one. The history tells which.
    pending.addFirst(publication);
    startFill();
  }

  private void startFill() {
    filling = true;
    String current = epoch;
    StreamPosition from = new StreamPosition(last, current == null ? "" : current);
    log.debug("channel={} offset={} filling from history", channel, last);
    // Subscribed on another thread so that a fill that ends at once never re-enters this monitor.
    fill =
        historyAfter
            .apply(from)
            .subscribeOn(Schedulers.parallel())
            .subscribe(this::filled, this::fillFailed);
  }

  private synchronized void filled(HistoryPage page) {
    if (closed) {
      return;
    }
    StreamPosition latest = page.latest();
    if (!page.recovered() || !latest.epoch().equals(epoch)) {
      reset(page);
    }
    for (Publication publication : page.publications()) {
      if (publication.epoch().equals(epoch) && publication.offset() > last) {
        deliver(publication);
      }
    }
    last = Math.max(last, latest.offset());
    // Whatever of another epoch still waits belongs to a sequence the history no longer has.
    pending.removeIf(publication -> !publication.epoch().equals(epoch));
    releaseWaiters(this::isDelivered);
    filling = false;
    fill = null;
    drain();
  }

  /**
   * The history no longer holds what was missed: continue from the oldest publication it still
   * holds (or its latest position when it holds none), and say so.
   */
  private void reset(HistoryPage page) {
    List<Publication> held = page.publications();
    StreamPosition latest = page.latest();
    long from = held.isEmpty() ? latest.offset() : held.get(0).offset() - 1;
    log.info(
        "channel={} offset={} epoch={} position lost, reset to offset={} epoch={}",
        channel,
        last,
        epoch,
        from,
        latest.epoch());
    epoch = latest.epoch();
    last = from;
    listener.get().onReset(channel, new StreamPosition(from, latest.epoch()));
    // Publishers waiting for a publication of the lost sequence would wait in vain.
    releaseWaiters(waiting -> !waiting.epoch().equals(epoch));
  }

  private synchronized void fillFailed(Throwable error) {
    log.warn("channel={} offset={} gap fill failed: {}", channel, last, error.toString());
    filling = false;
    fill = null;
    // The next publication or reconnect starts another fill; what waits stays queued.
  }

  private void deliver(Publication publication) {
    last = publication.offset();
    listener.get().onPublication(publication);
    releaseWaiters(this::isDelivered);
  }

  private boolean isDelivered(Publication publication) {
    return publication.epoch().equals(epoch) && publication.offset() <= last;
  }

  private void releaseWaiters(Predicate<Publication> released) {
    if (waiters.isEmpty()) {
      return;
    }
    List<Waiter> done = new ArrayList<>();
    Iterator<Waiter> it = waiters.iterator();
    while (it.hasNext()) {
      Waiter waiter = it.next();
      if (released.test(waiter.publication)) {
        done.add(waiter);
        it.remove();
      }
    }
    // Emitted after the walk: a released publisher may publish again at once, on this thread.
    done.forEach(waiter -> waiter.sink.tryEmitEmpty());
  }

  private record Waiter(Publication publication, Sinks.Empty<Void> sink) {}
}
