package herald.engine.redis;

import herald.channel.ChannelName;
import herald.channel.ClientInfo;
import herald.channel.Publication;
import herald.channel.StreamPosition;
import herald.engine.EngineListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * What "no silent gap, no reused offset" means, checked on every node of a test: per channel, each
 * delivery continues the last one by exactly one offset in the same epoch, unless a reset came in
 * between; and a delivered (epoch, offset) carries the data its publisher was acknowledged for.
 * Where either fails, a reset of that channel must follow on that node (the node noticed and told
 * its subscribers).
 */
final class SequenceCheck {

  /** (channel, epoch, offset) -> the data its publisher got a reply for, across every node. */
  private final Map<String, String> acknowledged = new ConcurrentHashMap<>();

  /** Keys acknowledged to two publishers with different data. */
  private final List<String> doublyAcknowledged = new CopyOnWriteArrayList<>();

  /** Notes a publish reply. */
  void published(Publication publication) {
    String previous = acknowledged.putIfAbsent(key(publication), data(publication));
    if (previous != null && !previous.equals(data(publication))) {
      doublyAcknowledged.add(key(publication));
    }
  }

  List<String> doublyAcknowledged() {
    return List.copyOf(doublyAcknowledged);
  }

  /** A listener for one node. */
  Node node() {
    return new Node();
  }

  private static String key(Publication publication) {
    return publication.channel().value() + "|" + publication.epoch() + "|" + publication.offset();
  }

  private static String data(Publication publication) {
    return publication.data().toString();
  }

  /** One node's deliveries, per channel, in order. */
  final class Node implements EngineListener {

    private final Map<ChannelName, List<Object>> events = new ConcurrentHashMap<>();

    @Override
    public void onPublication(Publication publication) {
      events
          .computeIfAbsent(publication.channel(), c -> new CopyOnWriteArrayList<>())
          .add(publication);
    }

    @Override
    public void onReset(ChannelName channel, StreamPosition position) {
      events.computeIfAbsent(channel, c -> new CopyOnWriteArrayList<>()).add(position);
    }

    @Override
    public void onJoin(ChannelName channel, ClientInfo client) {}

    @Override
    public void onLeave(ChannelName channel, ClientInfo client) {}

    /** The publications delivered on {@code channel}, in order. */
    List<Publication> publications(ChannelName channel) {
      return events.getOrDefault(channel, List.of()).stream()
          .filter(Publication.class::isInstance)
          .map(Publication.class::cast)
          .toList();
    }

    /** The resets of {@code channel}. */
    List<StreamPosition> resets(ChannelName channel) {
      return events.getOrDefault(channel, List.of()).stream()
          .filter(StreamPosition.class::isInstance)
          .map(StreamPosition.class::cast)
          .toList();
    }

    /** Every silent irregularity: one not followed by a reset of its channel. */
    List<String> silentIrregularities() {
      List<String> found = new ArrayList<>();
      events.forEach((channel, list) -> found.addAll(silent(channel, List.copyOf(list))));
      return found;
    }

    private List<String> silent(ChannelName channel, List<Object> list) {
      List<String> pending = new ArrayList<>();
      String epoch = null;
      long last = 0;
      for (Object event : list) {
        if (event instanceof StreamPosition reset) {
          pending.clear();
          epoch = reset.epoch();
          last = reset.offset();
          continue;
        }
        Publication publication = (Publication) event;
        boolean continues =
            (epoch == null && publication.offset() == 1)
                || (publication.epoch().equals(epoch) && publication.offset() == last + 1);
        if (!continues) {
          pending.add(channel + ": " + epoch + ":" + last + " then " + describe(publication));
        }
        String acked = acknowledged.get(key(publication));
        if (acked != null && !acked.equals(data(publication))) {
          pending.add(channel + ": reused offset " + describe(publication));
        }
        epoch = publication.epoch();
        last = publication.offset();
      }
      return pending;
    }

    private String describe(Publication publication) {
      return publication.epoch() + ":" + publication.offset() + "=" + data(publication);
    }
  }
}
