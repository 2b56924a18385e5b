/** The client protocol: commands, replies, pushes, codes and the frame codecs. */
@NullMarked
package herald.protocol;

import org.jspecify.annotations.NullMarked;
