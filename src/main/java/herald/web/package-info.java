/**
 * HTTP plumbing shared by SSE, the backend API and security: error bodies, client addresses, and
 * the transport the server's sockets run on.
 */
@NullMarked
package herald.web;

import org.jspecify.annotations.NullMarked;
