/** What a browser loads from a node: the client library, the demo page and its demo data. */
@NullMarked
package herald.pages;

import org.jspecify.annotations.NullMarked;
