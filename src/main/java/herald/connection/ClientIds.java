package herald.connection;

import java.util.Base64;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Makes connection ids: 128 random bits, base64url. Ids are not secrets (presence shows them), so
 * they come from {@link ThreadLocalRandom}, which never blocks an event loop the way {@code
 * SecureRandom} reading the OS entropy pool can.
 */
final class ClientIds {

  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private ClientIds() {}

  static String next() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    byte[] bytes = new byte[16];
    random.nextBytes(bytes);
    return ENCODER.encodeToString(bytes);
  }
}
