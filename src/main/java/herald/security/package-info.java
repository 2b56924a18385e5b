/** Who a client is and what it may do: tokens, channel permissions, origins, API keys. */
@NullMarked
package herald.security;

import org.jspecify.annotations.NullMarked;
