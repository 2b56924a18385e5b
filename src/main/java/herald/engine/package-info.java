/**
 * The engine: assigns offsets, keeps history and presence, and delivers publications to the nodes
 * that hold subscribers.
 */
@NullMarked
package herald.engine;

import org.jspecify.annotations.NullMarked;
