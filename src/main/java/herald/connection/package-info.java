/** Transport-neutral per-connection state: identity, subscriptions, outbound queue. */
@NullMarked
package herald.connection;

import org.jspecify.annotations.NullMarked;
