package herald.warmup;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import org.jspecify.annotations.Nullable;

/**
 * What lets the warm-up's own handshakes past the per-IP limits: they all come from loopback, at a
 * rate no client may use. A random value made at start-up that never leaves the process except in
 * the warm-up's requests to the node itself, and that admits nothing once the warm-up has ended.
 *
 * <p>It only spares the warm-up the rate and cap on connections per IP; the token, the origin and
 * everything after the handshake are checked as for any client.
 */
public final class WarmUpPass {

  /** The request header that carries the pass. */
  public static final String HEADER = "Herald-Warm-Up";

  private static final SecureRandom RANDOM = new SecureRandom();

  private volatile byte @Nullable [] value;

  WarmUpPass() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    this.value = Base64.getUrlEncoder().withoutPadding().encode(bytes);
  }

  /** A pass that admits nothing: the warm-up is off. */
  public static WarmUpPass none() {
    WarmUpPass pass = new WarmUpPass();
    pass.close();
    return pass;
  }

  /** Whether {@code header}, a request's {@value #HEADER} value, is this node's open pass. */
  public boolean admits(@Nullable String header) {
    byte[] expected = value;
    return expected != null
        && header != null
        && MessageDigest.isEqual(expected, header.getBytes(StandardCharsets.US_ASCII));
  }

  /** The value to send; only while the pass is open. */
  String value() {
    byte[] current = value;
    if (current == null) {
      throw new IllegalStateException("the warm-up pass is closed");
    }
    return new String(current, StandardCharsets.US_ASCII);
  }

  /** Ends the pass for good: the warm-up is over. */
  void close() {
    value = null;
  }
}
