/**
 * JSON Schemas that client publications of a namespace must match (README "Backend integration").
 */
@NullMarked
package herald.schema;

import org.jspecify.annotations.NullMarked;
