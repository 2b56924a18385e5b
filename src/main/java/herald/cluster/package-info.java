/**
 * The cluster as one server: the live nodes and their figures, and the backend API's actions
 * (active channels, unsubscribe, disconnect) carried to every node over the engine's backplane.
 */
@NullMarked
package herald.cluster;

import org.jspecify.annotations.NullMarked;
