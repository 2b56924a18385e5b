package herald.security;

import java.util.Collection;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.Jwt;

/**
 * Refuses a token whose {@code subscribe} or {@code publish} claim is not an array of well-formed
 * {@link ChannelPattern}s: a malformed pattern is a mistake of the issuer, and guessing what it
 * meant could grant more than intended. Runs with the other validators, so the handshake filter,
 * {@code connect} and {@code refresh} all refuse such a token with 401.
 */
final class ChannelClaimsValidator implements OAuth2TokenValidator<Jwt> {

  static final String SUBSCRIBE = "subscribe";
  static final String PUBLISH = "publish";

  @Override
  public OAuth2TokenValidatorResult validate(Jwt token) {
    if (wellFormed(token.getClaims().get(SUBSCRIBE))
        && wellFormed(token.getClaims().get(PUBLISH))) {
      return OAuth2TokenValidatorResult.success();
    }
    return OAuth2TokenValidatorResult.failure(
        new OAuth2Error(
            OAuth2ErrorCodes.INVALID_TOKEN,
            "subscribe and publish must be arrays of channel patterns",
            null));
  }

  private static boolean wellFormed(Object claim) {
    if (claim == null) {
      return true;
    }
    if (!(claim instanceof Collection<?> patterns)) {
      return false;
    }
    for (Object pattern : patterns) {
      if (!(pattern instanceof String text) || !ChannelPattern.isValid(text)) {
        return false;
      }
    }
    return true;
  }
}
