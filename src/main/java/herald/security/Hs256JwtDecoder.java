package herald.security;

import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtClaimNames;
import org.springframework.security.oauth2.jwt.JwtValidationException;
import org.springframework.security.oauth2.jwt.ReactiveJwtDecoder;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.json.JsonMapper;

/**
 * Verifies HS256 tokens: the signature with the JDK's {@code HmacSHA256}, then the same {@link
 * OAuth2TokenValidator} as every other decoder (expiry, {@code sub}, issuer, audience, channel
 * claims), on a Spring {@link Jwt} built directly from the token's JSON.
 *
 * <p>It gives the answers of Spring Security's Nimbus decoder with an HS256 secret (a test holds
 * the two to the same answers and claims), at a fraction of the cost: that decoder parses each part
 * twice (Nimbus's JSON, then a generic claim conversion) and looks up a {@code Mac} per token,
 * which made token checks a third of a WebSocket handshake's CPU. It is stricter in one way: a
 * registered claim of the wrong type (a number as {@code sub}, say) is refused, not converted.
 *
 * <p>What is refused: anything but three base64url parts; a header that is not a JSON object, has
 * an {@code alg} other than {@code HS256} or any {@code crit} parameter; a payload that is not a
 * JSON object, or whose registered claims have the wrong type ({@code iss}, {@code sub}, {@code
 * jti} strings, {@code aud} a string or list of strings, {@code exp}, {@code nbf}, {@code iat}
 * numbers of seconds); duplicate members; a signature that does not match (compared in constant
 * time).
 */
final class Hs256JwtDecoder implements ReactiveJwtDecoder {

  private static final String ALGORITHM = "HmacSHA256";
  private static final Base64.Decoder BASE64URL = Base64.getUrlDecoder();

  private final SecretKey key;
  private final OAuth2TokenValidator<Jwt> validator;

  /**
   * Reads a part's JSON. Made here so that it holds its deserializer from the start: a mapper finds
   * one at its first read, under a lock, and two event loops decoding a node's first tokens at once
   * would wait on each other.
   */
  private final ObjectReader json =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build()
          .readerFor(Object.class);

  /** One {@code Mac} per thread: looking one up per token was most of the signature's cost. */
  private final ThreadLocal<Mac> macs;

  Hs256JwtDecoder(SecretKey key, OAuth2TokenValidator<Jwt> validator) {
    this.key = key;
    this.validator = validator;
    this.macs = ThreadLocal.withInitial(this::newMac);
    newMac(); // fails at start-up, not at the first token, if the key is unusable
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac;
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HS256 is not available with this key", e);
    }
  }

  @Override
  public Mono<Jwt> decode(String token) {
    return Mono.fromCallable(() -> decodeNow(token));
  }

  /**
   * The verified token.
   *
   * @throws BadJwtException when it is malformed, badly signed or refused by the validator
   */
  Jwt decodeNow(String token) {
    int firstDot = token.indexOf('.');
    int secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
    if (secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) {
      throw malformed();
    }
    Map<String, Object> header = jsonObject(token.substring(0, firstDot));
    if (!"HS256".equals(header.get("alg")) || header.containsKey("crit")) {
      throw new BadJwtException("unsupported token header");
    }
    byte[] signature = base64url(token.substring(secondDot + 1));
    Mac mac = macs.get();
    mac.update(ascii(token, secondDot));
    if (!MessageDigest.isEqual(mac.doFinal(), signature)) {
      throw new BadJwtException("bad signature");
    }
    Map<String, Object> claims = claims(jsonObject(token.substring(firstDot + 1, secondDot)));
    Jwt jwt;
    try {
      jwt =
          Jwt.withTokenValue(token)
              .headers(values -> values.putAll(header))
              .claims(values -> values.putAll(claims))
              .build();
    } catch (IllegalArgumentException noClaims) {
      throw malformed();
    }
    OAuth2TokenValidatorResult result = validator.validate(jwt);
    if (result.hasErrors()) {
      throw new JwtValidationException("invalid token", result.getErrors());
    }
    return jwt;
  }

  /** The signing input, {@code header.payload}, as the bytes that were signed. */
  private static byte[] ascii(String token, int end) {
    byte[] bytes = new byte[end];
    for (int i = 0; i < end; i++) {
      char c = token.charAt(i);
      if (c > 0x7f) {
        throw malformed();
      }
      bytes[i] = (byte) c;
    }
    return bytes;
  }

  /** The registered claims with the types Spring's decoders give them; others as parsed. */
  private static Map<String, Object> claims(Map<String, Object> parsed) {
    Map<String, Object> claims = new LinkedHashMap<>(parsed);
    for (String name : List.of(JwtClaimNames.ISS, JwtClaimNames.SUB, JwtClaimNames.JTI)) {
      Object value = claims.get(name);
      if (value != null && !(value instanceof String)) {
        throw malformed();
      }
    }
    for (String name : List.of(JwtClaimNames.EXP, JwtClaimNames.NBF, JwtClaimNames.IAT)) {
      Object value = claims.get(name);
      if (value == null) {
        continue;
      }
      if (!(value instanceof Number seconds)) {
        throw malformed();
      }
      try {
        claims.put(name, Instant.ofEpochSecond(seconds.longValue()));
      } catch (DateTimeException outOfRange) {
        throw malformed();
      }
    }
    if (claims.get(JwtClaimNames.IAT) == null
        && claims.get(JwtClaimNames.EXP) instanceof Instant expiry) {
      // As Spring's claim conversion does: an issue time just before the expiry.
      claims.put(JwtClaimNames.IAT, expiry.minusSeconds(1));
    }
    Object audience = claims.get(JwtClaimNames.AUD);
    if (audience instanceof String single) {
      claims.put(JwtClaimNames.AUD, List.of(single));
    } else if (audience != null && !isStringList(audience)) {
      throw malformed();
    }
    claims.values().removeIf(value -> value == null);
    return claims;
  }

  private static boolean isStringList(Object value) {
    return value instanceof List<?> list && list.stream().allMatch(String.class::isInstance);
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> jsonObject(String part) {
    try {
      Object value = json.readValue(base64url(part));
      if (value instanceof Map<?, ?> object) {
        return (Map<String, Object>) object;
      }
    } catch (JacksonException notJson) {
      // refused below
    }
    throw malformed();
  }

  private static byte[] base64url(String part) {
    try {
      return BASE64URL.decode(part);
    } catch (IllegalArgumentException notBase64url) {
      throw malformed();
    }
  }

  private static BadJwtException malformed() {
    return new BadJwtException("malformed token");
  }
}
