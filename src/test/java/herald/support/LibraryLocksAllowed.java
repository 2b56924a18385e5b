package herald.support;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Lets the short-held locks of Lettuce, Resilience4j and Netty's allocator wait in tests. Lettuce
 * guards each connection's command queue with a short-held lock ({@code SharedLock}) that any
 * thread sending a command may wait on for an instant, event loops included; it ships no BlockHound
 * integration of its own. Without this, the error BlockHound throws in the middle of that lock
 * (when Redis is stopped under traffic, as the fault tests do) can leave it half-taken, and the
 * node's Redis client then hangs: a failure of the test harness, not of Herald. Resilience4j's
 * circuit breakers record each call's outcome under a short-held lock too ({@code
 * FixedSizeSlidingWindowMetrics.record}), which Lettuce's I/O threads wait on for an instant when
 * many commands of one lane complete at once (thousands of sharded subscribes after a failover);
 * the error BlockHound throws there would drop the command's result. Netty 4.2's adaptive buffer
 * allocator takes a short write lock ({@code StampedLock}) when a magazine frees or a group of
 * magazines grows, which an event loop reading a burst of frames may wait on for an instant;
 * Netty's own integration does not cover it, and the error ended a fuzzed WebSocket connection in
 * about one run of two of {@code FrameFuzzIntegrationTests}. Everything else stays guarded.
 */
public final class LibraryLocksAllowed implements BlockHoundIntegration {

  @Override
  public void applyTo(BlockHound.Builder builder) {
    builder
        .allowBlockingCallsInside("io.lettuce.core.protocol.SharedLock", "incrementWriters")
        .allowBlockingCallsInside("io.lettuce.core.protocol.SharedLock", "decrementWriters")
        .allowBlockingCallsInside("io.lettuce.core.protocol.SharedLock", "doExclusive")
        .allowBlockingCallsInside(
            "io.github.resilience4j.core.metrics.FixedSizeSlidingWindowMetrics", "record")
        .allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$Magazine", "free")
        .allowBlockingCallsInside(
            "io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "tryExpandMagazines");
  }
}
