/** The backend HTTP API under /api/v1. */
@NullMarked
package herald.api;

import org.jspecify.annotations.NullMarked;
