/** The cluster engine: offsets, history and presence in Redis, fan-out over Redis pub/sub. */
@NullMarked
package herald.engine.redis;

import org.jspecify.annotations.NullMarked;
