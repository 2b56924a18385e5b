package herald.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One rendered overlay of {@code k8s/} with the look-ups the tests need: resources by kind and
 * name, and the environment a container gets once its ConfigMap and Secret references are resolved.
 *
 * @param name the overlay's name ({@code base}, {@code dev}, {@code prod})
 * @param resources what the overlay renders to
 * @param examples Secrets the user creates (from {@code k8s/base/secret.example.yaml}), which
 *     resolve Secret references an overlay does not carry itself
 */
record Manifests(String name, List<HasMetadata> resources, List<Secret> examples) {

  static final Path ROOT = Path.of("k8s");
  static final Path SECRET_EXAMPLE = ROOT.resolve("base/secret.example.yaml");

  /** The overlays a user applies, and the base they share. */
  static Stream<String> overlays() {
    return Stream.of("base", "overlays/dev", "overlays/prod");
  }

  /** Rendered once per overlay and test JVM; the tests only read them. */
  private static final Map<String, Manifests> RENDERED =
      new java.util.concurrent.ConcurrentHashMap<>();

  static Manifests render(String overlay) {
    return RENDERED.computeIfAbsent(overlay, Manifests::renderNow);
  }

  private static Manifests renderNow(String overlay) {
    List<Secret> examples =
        Kustomize.readAll(SECRET_EXAMPLE).stream()
            .map(Kustomize::toModel)
            .map(Secret.class::cast)
            .toList();
    return new Manifests(overlay, Kustomize.render(ROOT.resolve(overlay)), examples);
  }

  <T extends HasMetadata> List<T> all(Class<T> kind) {
    return resources.stream().filter(kind::isInstance).map(kind::cast).toList();
  }

  <T extends HasMetadata> T one(Class<T> kind, String name) {
    List<T> found = all(kind).stream().filter(r -> r.getMetadata().getName().equals(name)).toList();
    assertThat(found).as("%s: %s %s", this.name, kind.getSimpleName(), name).hasSize(1);
    return found.get(0);
  }

  /** Resources of a kind the fabric8 model has no class for (the ServiceMonitor). */
  List<HasMetadata> ofKind(String kind) {
    return resources.stream().filter(r -> r.getKind().equals(kind)).toList();
  }

  Deployment herald() {
    return one(Deployment.class, "herald");
  }

  Container heraldContainer() {
    return herald().getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> c.getName().equals("herald"))
        .findFirst()
        .orElseThrow();
  }

  Service service(String name) {
    return one(Service.class, name);
  }

  /** The container port a probe, Service or policy names (by name or number). */
  static ContainerPort port(Container container, IntOrString reference) {
    return container.getPorts().stream()
        .filter(
            port ->
                reference.getStrVal() != null
                    ? reference.getStrVal().equals(port.getName())
                    : reference.getIntVal().equals(port.getContainerPort()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no container port " + reference));
  }

  /**
   * The environment the container starts with: {@code envFrom} ConfigMaps first, then {@code env}
   * (which wins, as in Kubernetes), every reference resolved. A reference to a ConfigMap, Secret or
   * key that exists nowhere fails: the pod would not start.
   */
  Map<String, String> environment(Container container) {
    Map<String, String> environment = new LinkedHashMap<>();
    for (EnvFromSource source : container.getEnvFrom()) {
      assertThat(source.getConfigMapRef()).as("%s: envFrom supports ConfigMaps", name).isNotNull();
      environment.putAll(one(ConfigMap.class, source.getConfigMapRef().getName()).getData());
    }
    for (EnvVar variable : container.getEnv()) {
      environment.put(variable.getName(), value(variable));
    }
    return environment;
  }

  private String value(EnvVar variable) {
    if (variable.getValueFrom() == null) {
      return variable.getValue();
    }
    if (variable.getValueFrom().getConfigMapKeyRef() != null) {
      var reference = variable.getValueFrom().getConfigMapKeyRef();
      String value = one(ConfigMap.class, reference.getName()).getData().get(reference.getKey());
      assertThat(value).as("%s: %s", name, variable.getName()).isNotNull();
      return value;
    }
    SecretKeySelector reference = variable.getValueFrom().getSecretKeyRef();
    assertThat(reference)
        .as("%s: %s comes from a ConfigMap or Secret", name, variable.getName())
        .isNotNull();
    Secret secret =
        Stream.concat(all(Secret.class).stream(), examples.stream())
            .filter(s -> s.getMetadata().getName().equals(reference.getName()))
            .findFirst()
            .orElseThrow(
                () ->
                    new AssertionError(
                        name
                            + ": Secret "
                            + reference.getName()
                            + " is neither in the overlay nor in "
                            + SECRET_EXAMPLE));
    String value = secretValue(secret, reference.getKey());
    assertThat(value)
        .as("%s: key %s of Secret %s", name, reference.getKey(), reference.getName())
        .isNotNull();
    return value;
  }

  static String secretValue(Secret secret, String key) {
    if (secret.getStringData() != null && secret.getStringData().containsKey(key)) {
      return secret.getStringData().get(key);
    }
    String encoded = secret.getData() == null ? null : secret.getData().get(key);
    return encoded == null
        ? null
        : new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
  }
}
