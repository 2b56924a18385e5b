/**
 * Client publications and {@code rpc} calls forwarded to backends over HTTP: the publish proxy,
 * RPC, and the checks a client publication passes first (README "Backend integration").
 */
@NullMarked
package herald.proxy;

import org.jspecify.annotations.NullMarked;
