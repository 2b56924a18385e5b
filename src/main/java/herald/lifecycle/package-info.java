/**
 * How a node stops: on SIGTERM it drains (readiness DOWN, new connections refused, every client
 * told to reconnect, spread over the drain window), then lets Spring stop the web server.
 */
@NullMarked
package herald.lifecycle;

import org.jspecify.annotations.NullMarked;
