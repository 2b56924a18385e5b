/** Server-Sent Events transport: GET /sse with resumable cursors. */
@NullMarked
package herald.transport.sse;

import org.jspecify.annotations.NullMarked;
