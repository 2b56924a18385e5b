/** Herald: a reactive push server for SSE and WebSocket clients. */
@NullMarked
package herald;

import org.jspecify.annotations.NullMarked;
