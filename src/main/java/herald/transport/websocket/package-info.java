/** WebSocket transport: GET /ws with the herald.json and herald.msgpack subprotocols. */
@NullMarked
package herald.transport.websocket;

import org.jspecify.annotations.NullMarked;
