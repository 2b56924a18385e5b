/**
 * The node's channel registry: one upstream subscription per channel, fanned out to every local
 * subscriber.
 */
@NullMarked
package herald.registry;

import org.jspecify.annotations.NullMarked;
