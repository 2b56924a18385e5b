package herald.engine.redis;

import herald.channel.ChannelName;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.EngineUnavailableException;
import herald.engine.HistoryPage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;
import reactor.util.retry.Retry;

/**
 * Recovery reads ("everything after {@code since}") shared by everybody who asks for the same
 * channel at about the same time: one Redis read serves them all, each gets its own slice.
 *
 * <p>Why: after a node dies, thousands of its subscribers resubscribe to the same channel on the
 * survivors within seconds, each with a slightly different {@code since}. One read per subscriber
 * would run the history script (and ship and parse the same entries) thousands of times.
 *
 * <p>Per channel at most one read is in flight; requests that arrive meanwhile join the next one,
 * which starts when it ends and reads from the smallest {@code since} among them. A request never
 * joins a read that has already started: the answer must be read after it was asked, or a caller
 * who went live just before asking (the registry) could miss what was published in between.
 *
 * <p>Each request gets the page its own read would have given: when its position is covered by the
 * shared page, the publications after it; when the shared page is not recovered, the same page (it
 * then holds every retained publication); otherwise (a request of another epoch, or beyond the
 * latest offset, while the shared read recovered) a read of its own. Answers are emitted on {@code
 * deliveries}, each on its own task, so that the Redis I/O thread does not run every caller's
 * replay in turn.
 */
final class RecoveryReads {

  private static final Retry SHARED_READ_RETRY =
      Retry.backoff(2, Duration.ofMillis(100))
          .filter(EngineUnavailableException.class::isInstance)
          // The last failure as it was, so that callers still answer 503 (retry later).
          .onRetryExhaustedThrow((spec, signal) -> signal.failure());

  private final BiFunction<ChannelName, StreamPosition, Mono<HistoryPage>> read;
  private final Scheduler deliveries;
  // Channels with a read in flight; bounded by the reads the connector admits.
  private final Map<ChannelName, ChannelReads> channels = new HashMap<>();

  /**
   * @param read one Redis read of everything after a position
   * @param deliveries where each caller receives its page
   */
  RecoveryReads(
      BiFunction<ChannelName, StreamPosition, Mono<HistoryPage>> read, Scheduler deliveries) {
    this.read = read;
    this.deliveries = deliveries;
  }

  /** Everything after {@code since} on {@code channel}, as {@link RedisPublications#history}. */
  Mono<HistoryPage> after(ChannelName channel, StreamPosition since) {
    return Mono.<HistoryPage>create(
            sink -> {
              Request request = new Request(since, sink);
              List<Request> start;
              synchronized (this) {
                ChannelReads reads = channels.computeIfAbsent(channel, c -> new ChannelReads());
                reads.next.add(request);
                start = reads.reading ? null : reads.takeNext();
              }
              sink.onCancel(() -> cancelled(channel, request));
              if (start != null) {
                start(channel, start);
              }
            })
        .publishOn(deliveries);
  }

  /** How many channels have a read in flight: for tests. */
  synchronized int channelsReading() {
    return channels.size();
  }

  private synchronized void cancelled(ChannelName channel, Request request) {
    ChannelReads reads = channels.get(channel);
    if (reads != null) {
      reads.next.remove(request);
    }
  }

  private void start(ChannelName channel, List<Request> batch) {
    read.apply(channel, sharedSince(batch))
        // One retry here spares every caller of the batch a retry of its own.
        .retryWhen(SHARED_READ_RETRY)
        .subscribe(
            page -> answer(batch, page, channel),
            error -> {
              batch.forEach(request -> request.sink.error(error));
              finished(channel);
            },
            () -> finished(channel));
  }

  private void answer(List<Request> batch, HistoryPage page, ChannelName channel) {
    for (Request request : batch) {
      HistoryPage slice = slice(page, request.since);
      if (slice != null) {
        request.sink.success(slice);
      } else {
        read.apply(channel, request.since)
            .subscribe(request.sink::success, request.sink::error, request.sink::success);
      }
    }
  }

  private void finished(ChannelName channel) {
    List<Request> next;
    synchronized (this) {
      ChannelReads reads = channels.get(channel);
      if (reads == null) {
        return;
      }
      next = reads.takeNext();
      if (next == null) {
        channels.remove(channel);
        return;
      }
    }
    start(channel, next);
  }

  /**
   * The position the shared read starts after: the smallest offset among the requests of the epoch
   * most of them hold (in a storm, all of them). Requests of other epochs cannot be recovered
   * anyway; they are answered from the page or by a read of their own.
   */
  static StreamPosition sharedSince(List<Request> batch) {
    Map<String, Integer> byEpoch = new HashMap<>();
    String epoch = batch.get(0).since.epoch();
    for (Request request : batch) {
      int count = byEpoch.merge(request.since.epoch(), 1, Integer::sum);
      if (count > byEpoch.get(epoch)) {
        epoch = request.since.epoch();
      }
    }
    long smallest = Long.MAX_VALUE;
    for (Request request : batch) {
      if (request.since.epoch().equals(epoch)) {
        smallest = Math.min(smallest, request.since.offset());
      }
    }
    return new StreamPosition(smallest, epoch);
  }

  /**
   * The page a read after {@code since} would have given, cut from {@code shared}; {@code null}
   * when {@code shared} does not hold it.
   */
  static @Nullable HistoryPage slice(HistoryPage shared, StreamPosition since) {
    StreamPosition latest = shared.latest();
    List<Publication> held = shared.publications();
    if (since.epoch().equals(latest.epoch()) && since.offset() <= latest.offset()) {
      if (since.offset() == latest.offset()) {
        return new HistoryPage(List.of(), latest, true);
      }
      if (!held.isEmpty() && covers(held, since.offset() + 1, latest.offset())) {
        int from = (int) (since.offset() + 1 - held.get(0).offset());
        return new HistoryPage(held.subList(from, held.size()), latest, true);
      }
    }
    // Not recovered from the shared position either: the shared page then holds every retained
    // publication, which is what a read of this request's own would hold too.
    return shared.recovered() ? null : shared;
  }

  /**
   * Whether {@code held} (consecutive offsets) runs from at most {@code first} up to {@code last}.
   */
  private static boolean covers(List<Publication> held, long first, long last) {
    long oldest = held.get(0).offset();
    long newest = held.get(held.size() - 1).offset();
    return oldest <= first && newest == last && newest - oldest == held.size() - 1;
  }

  /** One caller's request. */
  record Request(StreamPosition since, MonoSink<HistoryPage> sink) {}

  /** The requests waiting for a channel's next read, and whether one is in flight. */
  private static final class ChannelReads {
    private List<Request> next = new ArrayList<>();
    private boolean reading;

    /** Takes the waiting requests for a new read, or {@code null} (and not reading) if none. */
    @Nullable List<Request> takeNext() {
      if (next.isEmpty()) {
        reading = false;
        return null;
      }
      List<Request> batch = next;
      next = new ArrayList<>();
      reading = true;
      return batch;
    }
  }
}
