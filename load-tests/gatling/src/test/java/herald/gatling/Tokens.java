package herald.gatling;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mints HS256 client tokens (README "The protocol") with the JDK alone. Each virtual user gets a token of its own
 * user id, so the per-user connection limit applies per virtual user, as it would to real clients.
 */
final class Tokens {

  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
  private static final String HEADER = encode("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");

  private final SecretKeySpec key;
  private final Duration lifetime;

  Tokens(String hmacSecret, Duration lifetime) {
    this.key = new SecretKeySpec(hmacSecret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    this.lifetime = lifetime;
  }

  /**
   * A token for {@code user} that may subscribe to {@code pattern} and publish there (the node
   * still decides whether clients may publish in that namespace).
   */
  String mint(String user, String pattern) {
    long exp = Instant.now().plus(lifetime).getEpochSecond();
    String claims =
        "{\"sub\":\"%s\",\"exp\":%d,\"subscribe\":[\"%s\"],\"publish\":[\"%s\"]}"
            .formatted(user, exp, pattern, pattern);
    String signingInput = HEADER + "." + encode(claims);
    return signingInput + "." + BASE64URL.encodeToString(sign(signingInput));
  }

  private byte[] sign(String signingInput) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  private static String encode(String json) {
    return BASE64URL.encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }
}
