/** Application-wide wiring. */
@NullMarked
package herald.config;

import org.jspecify.annotations.NullMarked;
