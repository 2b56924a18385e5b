package herald.security;

import herald.channel.ChannelName;
import herald.protocol.HeraldException;
import java.security.Principal;
import java.util.List;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/** Reads Herald's claims from a verified JWT. */
public final class JwtCredentials {

  private JwtCredentials() {}

  /** The credentials a verified {@code jwt} grants. */
  public static Credentials from(Jwt jwt) {
    return new Credentials(
        jwt.getSubject(),
        patterns(jwt, "subscribe"),
        patterns(jwt, "publish"),
        jwt.getExpiresAt(),
        false,
        channels(jwt));
  }

  /**
   * The credentials of a principal that Spring Security authenticated from a JWT, or of its {@link
   * CredentialsPrincipal}.
   *
   * @throws HeraldException 401 for any other kind of principal
   */
  public static Credentials from(Principal principal) {
    if (principal instanceof JwtAuthenticationToken jwt) {
      return from(jwt.getToken());
    }
    if (principal instanceof CredentialsPrincipal compact) {
      return compact.credentials();
    }
    throw HeraldException.unauthorized("unsupported authentication");
  }

  /** The {@code channels} claim; {@link ChannelClaimsValidator} refused tokens with bad names. */
  private static List<ChannelName> channels(Jwt jwt) {
    List<String> values =
        jwt.hasClaim(ChannelClaimsValidator.CHANNELS)
            ? jwt.getClaimAsStringList(ChannelClaimsValidator.CHANNELS)
            : List.of();
    return values == null ? List.of() : values.stream().distinct().map(ChannelName::of).toList();
  }

  private static List<ChannelPattern> patterns(Jwt jwt, String claim) {
    List<String> values = jwt.hasClaim(claim) ? jwt.getClaimAsStringList(claim) : List.of();
    return values == null ? List.of() : values.stream().map(ChannelPattern::new).toList();
  }
}
