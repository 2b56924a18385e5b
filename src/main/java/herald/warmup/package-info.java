/**
 * The node's warm-up before it declares itself ready: WebSocket connections and SSE streams to
 * itself over loopback, all subscribed to one channel, then publications fanned out to them
 * (README, "Warm-up"). A JVM's first thousand handshakes and first deliveries run interpreted and
 * compile as they go; a node scaled up during a storm would otherwise meet the storm at a third of
 * its speed.
 */
@NullMarked
package herald.warmup;

import org.jspecify.annotations.NullMarked;
