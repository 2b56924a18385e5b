package herald.k8s;

import java.beans.PropertyDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.beans.BeanUtils;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.BindMethod;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.util.ClassUtils;

/**
 * Herald's settings as the application declares them: every {@code @ConfigurationProperties} type
 * under {@code herald} (records and JavaBeans, nested types followed) and the environment variables
 * {@code application.yml} maps by name. Answers whether an environment variable is a Herald
 * setting, by Spring's own relaxed binding, and binds a whole environment to every settings type so
 * that a value of the wrong type fails as it would at start-up.
 */
final class HeraldSettings {

  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z0-9_]+)[:}]");

  private final Map<String, Class<?>> typesByPrefix;
  private final List<String> names = new ArrayList<>();
  private final List<String> mapPrefixes = new ArrayList<>();
  private final Map<String, String> placeholders = new LinkedHashMap<>();
  private final List<PropertySource<?>> applicationYml;

  private HeraldSettings(Map<String, Class<?>> typesByPrefix, List<PropertySource<?>> yml) {
    this.typesByPrefix = typesByPrefix;
    this.applicationYml = yml;
    typesByPrefix.forEach(this::collect);
    for (PropertySource<?> source : yml) {
      if (source.getSource() instanceof Map<?, ?> properties) {
        properties.forEach(
            (name, value) -> placeholder(String.valueOf(name), String.valueOf(value)));
      }
    }
  }

  static HeraldSettings load() {
    var scanner = new ClassPathScanningCandidateComponentProvider(false);
    scanner.addIncludeFilter(new AnnotationTypeFilter(ConfigurationProperties.class));
    Map<String, Class<?>> types = new LinkedHashMap<>();
    for (var candidate : scanner.findCandidateComponents("herald")) {
      Class<?> type = ClassUtils.resolveClassName(candidate.getBeanClassName(), null);
      ConfigurationProperties annotation = type.getAnnotation(ConfigurationProperties.class);
      String prefix = annotation.prefix().isEmpty() ? annotation.value() : annotation.prefix();
      types.merge(prefix + "#" + type.getName(), type, (a, b) -> a);
    }
    try {
      List<PropertySource<?>> yml =
          new YamlPropertySourceLoader()
              .load("application.yml", new ClassPathResource("application.yml"));
      return new HeraldSettings(types, yml);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The settings types found, by prefix; the test asserts the scan found the known ones. */
  Collection<Class<?>> types() {
    return typesByPrefix.values();
  }

  /**
   * The setting an environment variable sets: the property {@code application.yml} maps it to, or
   * the property of a settings type that Spring's relaxed binding gives it.
   */
  Optional<String> propertyFor(String variable) {
    if (placeholders.containsKey(variable)) {
      return Optional.of(placeholders.get(variable));
    }
    ConfigurationPropertySource source =
        ConfigurationPropertySource.from(
            new SystemEnvironmentPropertySource("manifest", Map.of(variable, "x")));
    for (String name : names) {
      if (source.getConfigurationProperty(ConfigurationPropertyName.of(name)) != null) {
        return Optional.of(name);
      }
    }
    for (String prefix : mapPrefixes) {
      var state = source.containsDescendantOf(ConfigurationPropertyName.of(prefix));
      if (state
          == org.springframework.boot.context.properties.source.ConfigurationPropertyState
              .PRESENT) {
        return Optional.of(prefix + ".*");
      }
    }
    return Optional.empty();
  }

  /**
   * Binds {@code environment} (as process environment variables, beside {@code application.yml}) to
   * every settings type, so a value that would stop start-up throws here, naming the setting.
   */
  Map<String, Object> bind(Map<String, String> environment) {
    StandardEnvironment spring = new StandardEnvironment();
    MutablePropertySources sources = spring.getPropertySources();
    sources.remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
    sources.remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
    sources.addFirst(
        new SystemEnvironmentPropertySource("manifest", new LinkedHashMap<>(environment)));
    applicationYml.forEach(sources::addLast);
    ConfigurationPropertySources.attach(spring);
    Binder binder = Binder.get(spring);
    Map<String, Object> bound = new LinkedHashMap<>();
    typesByPrefix.forEach(
        (key, type) -> {
          String prefix = key.substring(0, key.indexOf('#'));
          Bindable<?> bindable =
              type.isRecord()
                  ? Bindable.of(type).withBindMethod(BindMethod.VALUE_OBJECT)
                  : Bindable.of(type);
          bound.put(key, binder.bindOrCreate(prefix, bindable));
        });
    return bound;
  }

  /** The drain window a node bound to {@code environment} uses ({@code herald.drain.window}). */
  static Optional<Duration> drainWindow(Map<String, Object> bound) {
    return bound.entrySet().stream()
        .filter(entry -> entry.getKey().startsWith("herald.drain#"))
        .map(Map.Entry::getValue)
        .findFirst()
        .map(HeraldSettings::window);
  }

  private static Duration window(Object drainSettings) {
    try {
      Object value =
          drainSettings.getClass().isRecord()
              ? drainSettings.getClass().getMethod("window").invoke(drainSettings)
              : drainSettings.getClass().getMethod("getWindow").invoke(drainSettings);
      return (Duration) value;
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("herald.drain has no window", e);
    }
  }

  private void collect(String key, Class<?> type) {
    collect(key.substring(0, key.indexOf('#')), type, 0);
  }

  private void collect(String prefix, Class<?> type, int depth) {
    if (depth > 5) {
      throw new IllegalStateException(prefix + ": settings nested too deep to be real");
    }
    if (type.isRecord()) {
      for (RecordComponent component : type.getRecordComponents()) {
        property(prefix, component.getName(), component.getType(), depth);
      }
    } else {
      for (PropertyDescriptor descriptor : BeanUtils.getPropertyDescriptors(type)) {
        if (descriptor.getWriteMethod() != null || isNested(descriptor.getPropertyType())) {
          property(prefix, descriptor.getName(), descriptor.getPropertyType(), depth);
        }
      }
    }
  }

  private void property(String prefix, String javaName, Class<?> type, int depth) {
    String name = prefix + "." + kebab(javaName);
    if (Map.class.isAssignableFrom(type)) {
      mapPrefixes.add(name);
    } else if (isNested(type)) {
      collect(name, type, depth + 1);
    } else {
      names.add(name);
    }
  }

  private static boolean isNested(Class<?> type) {
    return type.getName().startsWith("herald.") && !type.isEnum();
  }

  private void placeholder(String property, String value) {
    Matcher matcher = PLACEHOLDER.matcher(value);
    while (matcher.find()) {
      placeholders.put(matcher.group(1), property);
    }
  }

  private static String kebab(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
  }
}
