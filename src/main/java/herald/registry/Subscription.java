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
  private @Nullable ArrayDeque<Publication> pending;
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
      case LIVE -> deliverIfNext(publication);
      case RECOVERING -> buffer(publication);
      case CLOSED -> {}
    }
  }

  private void buffer(Publication publication) {
    if (pending == null) {
      pending = new ArrayDeque<>();
    }
    if (pending.size() >= pendingLimit) {
      close();
      subscriber.onOverflow(channel);
      return;
    }
    pending.addLast(publication);
  }

  private void deliverIfNext(Publication publication) {
    if (!publication.epoch().equals(epoch)) {
      // The channel's history was lost and a new sequence began: follow it from its first message.
      epoch = publication.epoch();
    } else if (publication.offset() <= lastOffset) {
      return;
    }
    lastOffset = publication.offset();
    subscriber.onPublication(publication);
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
      page.publications().forEach(this::deliverIfNext);
    }
    ArrayDeque<Publication> buffered = pending;
    pending = null;
    if (buffered != null) {
      buffered.forEach(this::deliverIfNext);
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
