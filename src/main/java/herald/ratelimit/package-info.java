/** Rate limits: inbound frames per connection, new connections per client IP, API publishes. */
@NullMarked
package herald.ratelimit;

import org.jspecify.annotations.NullMarked;
