package herald.security;

import herald.channel.ChannelName;
import java.util.Collection;
import java.util.function.Predicate;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.Jwt;

/**
 * Refuses a token whose {@code subscribe} or {@code publish} claim is not an array of well-formed
 * {@link ChannelPattern}s, or whose {@code channels} claim is not an array of channel names: a
 * malformed pattern or name is a mistake of the issuer, and guessing what it meant could grant more
 * (or other) than intended. Runs with the other validators, so the handshake filter, {@code
 * connect} and {@code refresh} all refuse such a token with 401.
 */
final class ChannelClaimsValidator implements OAuth2TokenValidator<Jwt> {

  static final String SUBSCRIBE = "subscribe";
  static final String PUBLISH = "publish";
  static final String CHANNELS = "channels";

  @Override
  public OAuth2TokenValidatorResult validate(Jwt token) {
    if (!wellFormed(token.getClaims().get(SUBSCRIBE), ChannelPattern::isValid)
        || !wellFormed(token.getClaims().get(PUBLISH), ChannelPattern::isValid)) {
      return failure("subscribe and publish must be arrays of channel patterns");
    }
    if (!wellFormed(token.getClaims().get(CHANNELS), ChannelName::isValid)) {
      return failure("channels must be an array of channel names");
    }
    return OAuth2TokenValidatorResult.success();
  }

  private static OAuth2TokenValidatorResult failure(String description) {
    return OAuth2TokenValidatorResult.failure(
        new OAuth2Error(OAuth2ErrorCodes.INVALID_TOKEN, description, null));
  }

  private static boolean wellFormed(Object claim, Predicate<String> valid) {
    if (claim == null) {
      return true;
    }
    if (!(claim instanceof Collection<?> patterns)) {
      return false;
    }
    for (Object pattern : patterns) {
      if (!(pattern instanceof String text) || !valid.test(text)) {
        return false;
      }
    }
    return true;
  }
}
