package herald.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * Where a setting's value came from, in the words an operator used: the environment variable that
 * set it ({@code PORT} for {@code server.port}, through application.yml's {@code ${PORT:8080}}, or
 * {@code HERALD_SSE_HEARTBEAT} by Spring's relaxed binding), and its value unless it may be secret.
 */
final class SettingSources {

  // ${NAME} or ${NAME:default} in application.yml: the variables the README maps explicitly.
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)(?::[^}]*)?}");

  private final @Nullable Environment environment;

  SettingSources(@Nullable Environment environment) {
    this.environment = environment;
  }

  /** {@code setting}, followed by the environment variable that set it, if one did. */
  String describe(String setting) {
    String variable = variable(setting);
    return variable == null ? setting : setting + " (environment variable " + variable + ")";
  }

  /**
   * The environment variable that set {@code setting}, or {@code null}: one that application.yml
   * names for it ({@code ${PORT:8080}}), else one of Spring's relaxed forms ({@code
   * HERALD_DRAIN_WINDOW}, {@code HERALD_AUTH_HMACSECRET}).
   */
  @Nullable String variable(String setting) {
    if (!(environment instanceof ConfigurableEnvironment configurable)
        || !(configurable
                .getPropertySources()
                .get(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME)
            instanceof MapPropertySource variables)) {
      return null;
    }
    List<String> candidates = new ArrayList<>();
    for (PropertySource<?> source : configurable.getPropertySources()) {
      Matcher placeholder = PLACEHOLDER.matcher(String.valueOf(source.getProperty(setting)));
      if (source != variables && placeholder.find()) {
        candidates.add(placeholder.group(1));
      }
    }
    String upper = setting.toUpperCase(Locale.ROOT).replace('.', '_');
    candidates.add(upper.replace("-", ""));
    candidates.add(upper.replace('-', '_'));
    return candidates.stream().filter(variables::containsProperty).findFirst().orElse(null);
  }

  /**
   * The value of {@code setting} as configured, quoted, or {@code null} when it is unset or may be
   * secret (secrets, keys, passwords, and URLs, which may carry a password).
   */
  @Nullable String shownValue(String setting) {
    if (environment == null || maySecret(setting)) {
      return null;
    }
    try {
      String value = environment.getProperty(setting);
      return value == null ? null : "\"" + value + "\"";
    } catch (RuntimeException unresolvable) {
      return null;
    }
  }

  static boolean maySecret(String setting) {
    String name = setting.toLowerCase(Locale.ROOT);
    return name.contains("secret")
        || name.contains("key")
        || name.contains("password")
        || name.contains("token")
        || name.endsWith("url")
        || name.endsWith("uri");
  }
}
