package herald.registry;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.HistoryPage;
import java.util.ArrayDeque;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One subscriber's hold on one channel, and the state machine that makes recovery race-free.
 *
 * <p>A subscription joins its channel's hub <em>before</em> the history is read, so no live
 * publication can slip between the read and going live. Until then it is {@code RECOVERING}: live
 * publications are buffered (bounded). Going live delivers the replay, then the buffered
 * publications newer than the replay, then everything that follows, skipping any offset already
 * delivered. All transitions and deliveries hold the subscription's monitor.
 *
 * <p>A reset from the engine (the channel's position was lost upstream) moves the subscription to
 * the new position and tells the subscriber, in order with the publications around it; one that
 * arrives while recovering waits in the buffer and applies only if the replay did not already start
 * at or after it.
 */
public final class Subscription {

  private enum State {
    RECOVERING,
    LIVE,
    CLOSED
  }

  private final ChannelName channel;
  private final Subscriber subscriber;
  private final int pendingLimit;
  private State state = State.RECOVERING;
  // Publications, and StreamPositions for resets, in arrival order.
  private @Nullable ArrayDeque<Object> pending;
  private long lastOffset;
  private @Nullable String epoch;

  Subscription(ChannelName channel, Subscriber subscriber, int pendingLimit) {
    this.channel = channel;
    this.subscriber = subscriber;
    this.pendingLimit = pendingLimit;
  }

  public ChannelName channel() {
    return channel;
  }

  Subscriber subscriber() {
    return subscriber;
  }

  synchronized void offer(Publication publication) {
    switch (state) {
      case LIVE -> {
        if (isNext(publication)) {
          subscriber.onPublication(publication);
        }
      }
      case RECOVERING -> buffer(publication);
      case CLOSED -> {}
    }
  }

  /** The engine lost the channel's position: continue after {@code position}. */
  synchronized void reset(StreamPosition position) {
    switch (state) {
      case LIVE -> moveTo(position);
      case RECOVERING -> buffer(position);
      case CLOSED -> {}
    }
  }

  private void buffer(Object item) {
    if (pending == null) {
      pending = new ArrayDeque<>();
    }
    if (pending.size() >= pendingLimit) {
      close();
      subscriber.onOverflow(channel);
      return;
    }
    pending.addLast(item);
  }

  /** Whether {@code publication} is to be delivered next; moves the position past it if so. */
  private boolean isNext(Publication publication) {
    if (!publication.epoch().equals(epoch)) {
      // A new sequence the engine did not announce: never follow it silently.
      moveTo(new StreamPosition(Math.max(0, publication.offset() - 1), publication.epoch()));
    } else if (publication.offset() <= lastOffset) {
      return false;
    }
    lastOffset = publication.offset();
    return true;
  }

  private void deliverIfNext(Publication publication) {
    if (isNext(publication)) {
      subscriber.onPublication(publication);
    }
  }

  private void moveTo(StreamPosition position) {
    epoch = position.epoch();
    lastOffset = position.offset();
    subscriber.onReset(channel, position);
  }

  /** A reset that waited while recovering; the replay may already have passed it. */
  private void replayReset(StreamPosition position) {
    if (position.epoch().equals(epoch) && position.offset() <= lastOffset) {
      return;
    }
    moveTo(position);
  }

  /**
   * Delivers the replay and the buffered publications, then goes live. {@code beforeReplay} runs
   * first, under the same monitor, so a transport can queue its reply ahead of every publication.
   */
  synchronized void goLive(
      HistoryPage page, @Nullable StreamPosition since, Consumer<Recovery> beforeReplay) {
    if (state != State.RECOVERING) {
      return;
    }
    StreamPosition latest = page.latest();
    boolean recovered = since != null && page.recovered();
    beforeReplay.accept(new Recovery(channel, latest, recovered, since != null));
    if (state != State.RECOVERING) {
      return; // closed meanwhile (released, or overflowed by publications the callback caused)
    }
    epoch = latest.epoch();
    lastOffset = recovered ? since.offset() : latest.offset();
    state = State.LIVE;
    if (recovered) {
      for (Publication publication : page.publications()) {
        if (isNext(publication)) {
          subscriber.onReplay(publication);
        }
      }
    }
    ArrayDeque<Object> buffered = pending;
    pending = null;
    if (buffered != null) {
      buffered.forEach(this::replay);
    }
  }

  private void replay(Object item) {
    if (item instanceof Publication publication) {
      // One of another epoch belongs to a sequence the page already left behind: a new sequence
      // is always announced by a reset first, which sets the epoch.
      if (publication.epoch().equals(epoch)) {
        deliverIfNext(publication);
      }
    } else {
      replayReset((StreamPosition) item);
    }
  }

  synchronized void onJoin(ClientInfo client) {
    if (state == State.LIVE) {
      subscriber.onJoin(channel, client);
    }
  }

  synchronized void onLeave(ClientInfo client) {
    if (state == State.LIVE) {
      subscriber.onLeave(channel, client);
    }
  }

  synchronized void close() {
    state = State.CLOSED;
    pending = null;
  }
}
