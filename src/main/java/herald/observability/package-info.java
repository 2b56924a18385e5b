/** What operators see: health of the engine for readiness. */
@NullMarked
package herald.observability;

import org.jspecify.annotations.NullMarked;
