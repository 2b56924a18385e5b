package herald.cluster;

import herald.channel.ChannelName;
import herald.cluster.ClusterControl.Gathered;
import herald.cluster.ControlMessages.Operation;
import herald.cluster.ControlMessages.Reply;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import reactor.core.publisher.Mono;

/**
 * The whole cluster as the backend API sees it. Every answer says whether it is {@code partial}:
 * some node did not answer in time, or the backplane was unreachable and only this node counted.
 */
public final class Cluster {

  private final NodeDirectory directory;
  private final ClusterControl control;

  Cluster(NodeDirectory directory, ClusterControl control) {
    this.directory = directory;
    this.control = control;
  }

  /** The live nodes and their figures. */
  public record Nodes(List<NodeFigures> nodes, boolean partial) {}

  /** Subscribers per active channel, summed over the nodes. */
  public record ActiveChannels(Map<String, Integer> subscribers, boolean partial) {}

  /** How many connections an action reached, over the nodes. */
  public record Reach(int connections, boolean partial) {}

  public Mono<Nodes> nodes() {
    return directory.nodes();
  }

  public Mono<ActiveChannels> channels() {
    return control
        .ask(Operation.CHANNELS, null, null, false)
        .map(
            gathered -> {
              Map<String, Integer> sums = new TreeMap<>();
              gathered
                  .replies()
                  .forEach(
                      reply ->
                          reply
                              .channels()
                              .forEach(
                                  (channel, count) -> sums.merge(channel, count, Integer::sum)));
              return new ActiveChannels(sums, gathered.partial());
            });
  }

  /**
   * What a server-side subscribe reached: the connections that hold the channel now, and those
   * refused as they hold as many channels as they may.
   */
  public record Subscribed(int connections, int refused, boolean partial) {}

  /**
   * Subscribes {@code user}'s WebSocket connections on every node to {@code channel} (README,
   * "Server-side subscriptions").
   */
  public Mono<Subscribed> subscribe(String user, ChannelName channel) {
    return control
        .ask(Operation.SUBSCRIBE, user, channel, false)
        .map(
            gathered ->
                new Subscribed(
                    gathered.replies().stream().mapToInt(Reply::connections).sum(),
                    gathered.replies().stream().mapToInt(Reply::refused).sum(),
                    gathered.partial()));
  }

  /** Revokes {@code channel} from {@code user}'s connections on every node. */
  public Mono<Reach> unsubscribe(String user, ChannelName channel) {
    return control.ask(Operation.UNSUBSCRIBE, user, channel, false).map(Cluster::reach);
  }

  /** Closes {@code user}'s connections on every node. */
  public Mono<Reach> disconnect(String user, boolean reconnect) {
    return control.ask(Operation.DISCONNECT, user, null, reconnect).map(Cluster::reach);
  }

  private static Reach reach(Gathered gathered) {
    return new Reach(
        gathered.replies().stream().mapToInt(Reply::connections).sum(), gathered.partial());
  }
}
