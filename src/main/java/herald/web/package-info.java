/** HTTP plumbing shared by SSE, the backend API and security: error bodies and client addresses. */
@NullMarked
package herald.web;

import org.jspecify.annotations.NullMarked;
