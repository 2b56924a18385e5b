package herald.load;

import java.util.ArrayList;
import java.util.List;

/**
 * What a step publishes: {@code ownRate} publications per second spread round-robin over the {@code
 * ownChannels} per-connection channels, and {@code sharedRate} per second to each of the {@code
 * sharedChannels} shared ones. Each publication's data is {@code {"k":slot,"seq":n,"t":now}} with a
 * per-channel sequence number (see {@link Deliveries}). Not thread-safe: one publisher.
 */
final class Publications {

  /** One publication: its channel and its JSON data. */
  record Publication(String channel, String data) {}

  private final String prefix;
  private final long[] ownSeq;
  private final long[] sharedSeq;
  private final long[] sharedPublished;
  private final int sharedSlot;
  private int ownCursor;
  private long ownPublished;

  Publications(String prefix, int ownChannels, int sharedChannels) {
    this.prefix = prefix;
    this.ownSeq = new long[ownChannels];
    this.sharedSeq = new long[sharedChannels];
    this.sharedPublished = new long[sharedChannels];
    this.sharedSlot = ownChannels > 0 ? 1 : 0;
  }

  /**
   * The publications due in a step at {@code fraction} (0..1) of its length, since the last call.
   */
  List<Publication> due(Step step, double fraction) {
    List<Publication> batch = new ArrayList<>();
    long ownDue = Math.round(step.ownTotal() * Math.min(1, fraction));
    while (step.ownSent < ownDue && ownSeq.length > 0) {
      int c = ownCursor;
      ownCursor = (ownCursor + 1) % ownSeq.length;
      batch.add(new Publication(prefix + "-own-" + c, data(0, ++ownSeq[c])));
      step.ownSent++;
      ownPublished++;
    }
    long sharedDue = Math.round(step.sharedTotalPerChannel() * Math.min(1, fraction));
    while (step.sharedSent < sharedDue) {
      for (int j = 0; j < sharedSeq.length; j++) {
        batch.add(new Publication(prefix + "-shared-" + j, data(sharedSlot, ++sharedSeq[j])));
        sharedPublished[j]++;
      }
      step.sharedSent++;
    }
    return batch;
  }

  long ownPublished() {
    return ownPublished;
  }

  long sharedPublished(int channel) {
    return sharedPublished[channel];
  }

  private static String data(int slot, long seq) {
    return "{\"k\":" + slot + ",\"seq\":" + seq + ",\"t\":" + System.nanoTime() + "}";
  }

  /** One step's rates and progress. */
  static final class Step {
    final double ownRate;
    final double sharedRate;
    final int seconds;
    long ownSent;
    long sharedSent;

    Step(double ownRate, double sharedRate, int seconds) {
      this.ownRate = ownRate;
      this.sharedRate = sharedRate;
      this.seconds = seconds;
    }

    long ownTotal() {
      return Math.round(ownRate * seconds);
    }

    long sharedTotalPerChannel() {
      return Math.round(sharedRate * seconds);
    }
  }
}
