package herald.load;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What one worker saw: deliveries, duplicates, gaps (by sequence number per connection and channel)
 * and end-to-end latency in microseconds. Writers are the worker's event-loop threads.
 *
 * <p>A publication's data is {@code {"k":slot,"seq":n,"t":nanoTime}}: {@code k} says which of the
 * connection's channels it belongs to, {@code seq} counts per channel from 1, and {@code t} is the
 * publisher's {@link System#nanoTime()}, comparable across processes on one Linux host
 * (CLOCK_MONOTONIC).
 */
final class Deliveries {

  private final Recorder latencyMicros = new Recorder(3);
  private final LongAdder delivered = new LongAdder();
  private final LongAdder duplicates = new LongAdder();
  private final LongAdder gaps = new LongAdder();

  /** Records the publication in [from, to) of {@code buf}, if it is one, for connection state. */
  boolean record(ByteBuf buf, int from, int to, long[] lastSeq) {
    long seq = Bytes.number(buf, from, to, Bytes.SEQ);
    if (seq < 0) {
      return false;
    }
    long now = System.nanoTime();
    long sent = Bytes.number(buf, from, to, Bytes.SENT);
    long slot = Bytes.number(buf, from, to, Bytes.SLOT);
    if (sent > 0) {
      latencyMicros.recordValue(Math.max(0, (now - sent) / 1000));
    }
    delivered.increment();
    int k = slot < 0 || slot >= lastSeq.length ? 0 : (int) slot;
    long last = lastSeq[k];
    if (seq <= last) {
      duplicates.increment();
    } else {
      if (seq != last + 1) {
        gaps.add(seq - last - 1);
      }
      lastSeq[k] = seq;
    }
    return true;
  }

  long delivered() {
    return delivered.sum();
  }

  void reset() {
    latencyMicros.reset();
    delivered.reset();
    duplicates.reset();
    gaps.reset();
  }

  /** {@code delivered duplicates gaps histogram}, the histogram compressed and in Base64. */
  String report() {
    Histogram histogram = latencyMicros.getIntervalHistogram();
    ByteBuffer buffer = ByteBuffer.allocate(histogram.getNeededByteBufferCapacity());
    int length = histogram.encodeIntoCompressedByteBuffer(buffer);
    byte[] bytes = new byte[length];
    buffer.flip();
    buffer.get(bytes);
    return delivered.sum()
        + " "
        + duplicates.sum()
        + " "
        + gaps.sum()
        + " "
        + Base64.getEncoder().encodeToString(bytes);
  }
}
