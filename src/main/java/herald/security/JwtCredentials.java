package herald.security;

import herald.channel.ChannelName;
import java.util.List;
import org.springframework.security.oauth2.jwt.Jwt;

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
