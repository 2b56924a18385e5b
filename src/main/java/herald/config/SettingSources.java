package herald.config;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.SystemEnvironmentOrigin;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;

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

  /** The environment variable that set {@code setting}, or {@code null}. */
  @Nullable String variable(String setting) {
    if (!(environment instanceof ConfigurableEnvironment configurable)
        || !ConfigurationPropertyName.isValid(setting)) {
      return null;
    }
    ConfigurationPropertyName name = ConfigurationPropertyName.of(setting);
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(configurable)) {
      ConfigurationProperty property = source.getConfigurationProperty(name);
      if (property == null) {
        continue;
      }
      Origin origin = property.getOrigin();
      if (origin instanceof SystemEnvironmentOrigin environmentOrigin) {
        return environmentOrigin.getProperty();
      }
      Matcher placeholder =
          PLACEHOLDER.matcher(String.valueOf(rawValue(source, setting, property)));
      return placeholder.find() && configurable.containsProperty(placeholder.group(1))
          ? placeholder.group(1)
          : null;
    }
    return null;
  }

  /** The text before placeholders were resolved, where the source keeps it. */
  private static @Nullable Object rawValue(
      ConfigurationPropertySource source, String setting, ConfigurationProperty property) {
    if (source.getUnderlyingSource() instanceof PropertySource<?> underlying
        && underlying.getProperty(setting) != null) {
      return underlying.getProperty(setting);
    }
    return property.getValue();
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
