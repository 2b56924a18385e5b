package herald.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.DataObjectPropertyName;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.Ordered;
import org.springframework.core.ResolvableType;
import org.springframework.core.env.Environment;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.FieldError;
import org.springframework.validation.ObjectError;

/**
 * Turns a bad setting into one paragraph, as Spring Boot's own analyzers do, instead of a stack
 * trace: it names the setting and the environment variable that set it ({@code PORT}, not only
 * {@code server.port}), says what is expected, and shows the value only when it cannot be secret.
 * Handles Herald's settings ({@code herald.*}, {@link InvalidSettingException}) and any setting an
 * environment variable gave; other failures are left to Spring Boot's analyzers.
 *
 * <p>Registered in META-INF/spring.factories; Spring Boot passes the {@link Environment}.
 */
public final class SettingsFailureAnalyzer implements FailureAnalyzer, Ordered {

  private static final String SEE = "Every setting is described in README.md, \"Configuration\".";

  private final SettingSources sources;

  public SettingsFailureAnalyzer(Environment environment) {
    this.sources = new SettingSources(environment);
  }

  @Override
  public int getOrder() {
    // Before Spring Boot's binding analyzers, which would print a validation method's result as the
    // value ("false") and the property under its Java name.
    return Ordered.HIGHEST_PRECEDENCE;
  }

  @Override
  public @Nullable FailureAnalysis analyze(Throwable failure) {
    InvalidSettingException invalid = find(failure, InvalidSettingException.class);
    if (invalid != null) {
      return analysis(
          sources.describe(invalid.setting()) + " " + invalid.problem() + ".",
          capitalized(invalid.action()) + ". " + SEE,
          failure);
    }
    BindValidationException validation = find(failure, BindValidationException.class);
    if (validation != null) {
      return validationAnalysis(validation, failure);
    }
    BindException binding = find(failure, BindException.class);
    if (binding != null && binding.getProperty() != null && handles(binding.getName().toString())) {
      return bindAnalysis(binding, failure);
    }
    InvalidConfigurationPropertyValueException value =
        find(failure, InvalidConfigurationPropertyValueException.class);
    if (value != null && handles(value.getName())) {
      return problem(value.getName(), null, failure);
    }
    return null;
  }

  private boolean handles(String setting) {
    return setting.startsWith("herald.") || sources.variable(setting) != null;
  }

  private @Nullable FailureAnalysis validationAnalysis(
      BindValidationException validation, Throwable failure) {
    String prefix = validation.getValidationErrors().getName().toString();
    if (!handles(prefix)) {
      return null;
    }
    List<String> problems = new ArrayList<>();
    List<String> settings = new ArrayList<>();
    for (ObjectError error : validation.getValidationErrors()) {
      String setting =
          error instanceof FieldError field
              ? prefix + "." + DataObjectPropertyName.toDashedForm(field.getField())
              : prefix;
      settings.add(sources.describe(setting));
      problems.add(line(setting, error.getDefaultMessage()));
    }
    return analysis(
        String.join("\n", problems), "Fix " + String.join(" and ", settings) + ". " + SEE, failure);
  }

  private FailureAnalysis bindAnalysis(BindException binding, Throwable failure) {
    ConfigurationProperty property = binding.getProperty();
    return problem(property.getName().toString(), binding.getTarget().getType(), failure);
  }

  private FailureAnalysis problem(
      String setting, @Nullable ResolvableType type, Throwable failure) {
    return analysis(
        line(setting, expectation(setting, type)),
        "Fix " + sources.describe(setting) + ". " + SEE,
        failure);
  }

  /** One sentence about one setting: its name, its variable, its value if shown, the problem. */
  private String line(String setting, @Nullable String problem) {
    String expected = problem == null ? "is invalid" : problem;
    String value = sources.shownValue(setting);
    if (value != null) {
      return sources.describe(setting) + " is " + value + ", but it " + expected + ".";
    }
    if (SettingSources.maySecret(setting)) {
      return sources.describe(setting)
          + " "
          + expected
          + " (its value is not shown: it may be secret).";
    }
    return sources.describe(setting) + " " + expected + ".";
  }

  private static String expectation(String setting, @Nullable ResolvableType type) {
    Class<?> target = type == null ? null : type.resolve();
    if (setting.endsWith(".port")) {
      return "must be a port number (0-65535; 0 picks a free port)";
    }
    if (target == Duration.class) {
      return "must be a duration such as 500ms, 10s or 5m";
    }
    if (target == DataSize.class) {
      return "must be a size such as 64KB or 1MB";
    }
    if (target == Boolean.class || target == boolean.class) {
      return "must be true or false";
    }
    if (target != null && (Number.class.isAssignableFrom(target) || target.isPrimitive())) {
      return "must be a number";
    }
    return target == null ? "cannot be read" : "cannot be read as " + target.getSimpleName();
  }

  private static FailureAnalysis analysis(String description, String action, Throwable failure) {
    return new FailureAnalysis(description, action, failure);
  }

  private static String capitalized(String text) {
    return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
  }

  private static <T extends Throwable> @Nullable T find(Throwable failure, Class<T> type) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (type.isInstance(cause)) {
        return type.cast(cause);
      }
      if (cause.getCause() == cause) {
        break;
      }
    }
    return null;
  }
}
