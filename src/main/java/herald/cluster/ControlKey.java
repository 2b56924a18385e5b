package herald.cluster;

import herald.security.AuthMode;
import herald.security.AuthProperties;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HMAC-SHA256 key that signs the control messages of {@code herald:control} (README, Security),
 * so that a client of the shared Redis that is not a Herald node cannot order a {@code disconnect}.
 *
 * <p>Where it comes from, first match:
 *
 * <ol>
 *   <li>{@code herald.cluster.secret}, when set;
 *   <li>derived from {@code herald.auth.hmac-secret} (HMAC-SHA256 of a fixed label under it): who
 *       knows that secret can already sign tokens for any user with every permission, so the key
 *       gives nothing new away, and it does not reveal the secret;
 *   <li>on the in-memory engine, a random key: no other process sees its messages;
 *   <li>in insecure development mode, a fixed key, since nothing is protected there anyway;
 *   <li>otherwise (tokens checked with a JWKS URI on the Redis engine) start-up fails: there is no
 *       secret to derive one from.
 * </ol>
 */
final class ControlKey {

  private static final Logger log = LoggerFactory.getLogger(ControlKey.class);

  static final String ALGORITHM = "HmacSHA256";
  private static final String LABEL = "herald cluster control v1";

  private ControlKey() {}

  static SecretKeySpec resolve(
      ClusterProperties cluster, AuthProperties auth, AuthMode mode, boolean shared) {
    if (cluster.secret() != null) {
      return key(cluster.secret().getBytes(StandardCharsets.UTF_8));
    }
    if (auth.hasHmacSecret()) {
      byte[] secret = Objects.requireNonNull(auth.hmacSecret()).getBytes(StandardCharsets.UTF_8);
      return key(hmac(key(secret), LABEL.getBytes(StandardCharsets.UTF_8)));
    }
    if (!shared) {
      byte[] random = new byte[32];
      new SecureRandom().nextBytes(random);
      return key(random);
    }
    if (mode.insecure()) {
      log.warn(
          "cluster control messages are signed with a well-known key (development mode): "
              + "set herald.cluster.secret before anything else shares this Redis");
      return key(LABEL.getBytes(StandardCharsets.UTF_8));
    }
    throw new IllegalStateException(
        "herald.cluster.secret (HERALD_CLUSTER_SECRET, at least 32 bytes, the same on every node) is"
            + " required on the Redis engine when tokens are checked with herald.auth.jwks-uri: it"
            + " signs the control messages nodes exchange on Redis (README, Security)");
  }

  static SecretKeySpec key(byte[] bytes) {
    return new SecretKeySpec(bytes, ALGORITHM);
  }

  /** HMAC-SHA256 of {@code data} under {@code key}. */
  static byte[] hmac(SecretKeySpec key, byte[] data) {
    try {
      // A Mac is not thread-safe; control messages are rare, so one per call costs nothing.
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }
}
