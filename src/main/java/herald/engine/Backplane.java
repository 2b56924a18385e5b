package herald.engine;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;

/**
 * What the nodes of a cluster share besides channels: a directory of the live nodes and a bus that
 * reaches them. The cluster package builds {@code /api/v1/info}, {@code channels}, {@code
 * unsubscribe} and {@code disconnect} on it; the in-memory engine's backplane holds one node, the
 * Redis engine's spans every node on the same Redis.
 *
 * <p>Messages and reports are opaque strings: the backplane only stores and carries them. All
 * methods are cold; failures to reach the backplane signal {@link EngineUnavailableException}.
 */
public interface Backplane {

  /**
   * Records {@code node}'s report; the node counts as live for {@code ttl} unless reported anew.
   */
  Mono<Void> report(String node, String report, Duration ttl);

  /** Removes {@code node}'s report at once: a node that shuts down leaves the directory. */
  Mono<Void> withdraw(String node);

  /** The latest report of every live node, by node name. */
  Mono<Map<String, String>> reports();

  /** Sends {@code message} to every node's listener, this node's included. */
  Mono<Void> broadcast(String message);

  /** Sends {@code message} to {@code node}'s listener; a node that is gone never sees it. */
  Mono<Void> send(String node, String message);

  /**
   * Counts connection {@code id} against {@code user}'s connections on every node: emits {@code
   * true} when the user held fewer than {@code limit} (or already held this one), and the claim
   * then lives for {@code ttl} unless renewed; {@code false} when the user is at the limit.
   */
  Mono<Boolean> claim(String user, String id, int limit, Duration ttl);

  /** Keeps {@code user}'s claims {@code ids} alive for another {@code ttl}. */
  Mono<Void> renew(String user, Collection<String> ids, Duration ttl);

  /** Drops connection {@code id} from {@code user}'s claims. */
  Mono<Void> release(String user, String id);

  /**
   * Whether other nodes, and so anything else that can reach the same broker, share this backplane:
   * false for the in-memory engine's, which only this node sees.
   */
  boolean shared();

  /**
   * Sets the one listener for messages to this node ({@link #broadcast} and {@link #send} to {@code
   * node}). Called once, at start-up. The listener runs on the backplane's threads and must not
   * block.
   */
  void listen(String node, Consumer<String> listener);
}
