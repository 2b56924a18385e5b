/** Channel names, namespaces and publications: the values every other part speaks in. */
@NullMarked
package herald.channel;

import org.jspecify.annotations.NullMarked;
