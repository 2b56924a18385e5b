/** What operators see: Herald's metrics, and the engine's health for readiness. */
@NullMarked
package herald.observability;

import org.jspecify.annotations.NullMarked;
