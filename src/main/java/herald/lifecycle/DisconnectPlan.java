package herald.lifecycle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * When each client of a draining node is told to reconnect: spread uniformly over the window, with
 * jitter. The window is cut into one slot per client, and each client, in random order, gets a
 * random moment within its own slot. Every stretch of the window thus carries its share of the
 * reconnects (no two clients can fall in the same instant by chance, as they could with N
 * independent random moments), and no client can predict its turn from its age.
 *
 * <p>Not thread-safe: one drain reads it from one timer.
 *
 * @param <C> a client
 */
final class DisconnectPlan<C> {

  private final List<C> clients;
  private final long[] dueMillis;
  private int next;

  private DisconnectPlan(List<C> clients, long[] dueMillis) {
    this.clients = clients;
    this.dueMillis = dueMillis;
  }

  /** Plans {@code clients} over {@code window}; each due moment lies in {@code [0, window)}. */
  static <C> DisconnectPlan<C> spread(List<C> clients, Duration window, Random random) {
    List<C> shuffled = new ArrayList<>(clients);
    Collections.shuffle(shuffled, random);
    int count = shuffled.size();
    long windowMillis = window.toMillis();
    long[] due = new long[count];
    for (int slot = 0; slot < count; slot++) {
      due[slot] = (long) (windowMillis * (slot + random.nextDouble()) / count);
    }
    return new DisconnectPlan<>(shuffled, due);
  }

  /**
   * The clients due by {@code elapsedMillis} since the drain began that were not returned before,
   * in their planned order.
   */
  List<C> due(long elapsedMillis) {
    int from = next;
    while (next < dueMillis.length && dueMillis[next] <= elapsedMillis) {
      next++;
    }
    return clients.subList(from, next);
  }

  /** Whether every client has been returned by {@link #due}. */
  boolean done() {
    return next == dueMillis.length;
  }

  int size() {
    return clients.size();
  }

  /** The planned moment of the client at {@code position} in the plan, for tests. */
  long dueMillis(int position) {
    return dueMillis[position];
  }

  /** The client at {@code position} in the plan, for tests. */
  C client(int position) {
    return clients.get(position);
  }
}
