/** The single-node engine that keeps everything in this JVM. */
@NullMarked
package herald.engine.memory;

import org.jspecify.annotations.NullMarked;
