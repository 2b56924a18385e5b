package herald.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import herald.engine.redis.RedisProperties;
import herald.security.AuthProperties;
import herald.transport.sse.SseProperties;
import herald.transport.websocket.WebSocketProperties;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBackend;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code k8s/} manifests, every overlay rendered (by {@link Kustomize}, no kubectl needed) and
 * cross-checked against each other and against the application: labels and selectors, ports and
 * probe paths, the Herald settings the environment sets, the termination timeline, the Ingress's
 * annotations. {@code KubernetesManifestsIntegrationTests} starts a node with an overlay's
 * environment and reads the probes on the ports the manifests name.
 */
class KubernetesManifestsTests {

  /** Seconds between the drain's end and the grace period's SIGKILL: context close, Redis, GC. */
  static final long MARGIN_SECONDS = 10;

  /** The README's drain window, used until the application declares {@code herald.drain}. */
  static final Duration DOCUMENTED_DRAIN_WINDOW = Duration.ofSeconds(10);

  static final HeraldSettings SETTINGS = HeraldSettings.load();

  static List<String> overlays() {
    return Manifests.overlays().toList();
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void everyOverlayRendersTheResourcesANodeNeeds(String overlay) throws Exception {
    Manifests manifests = Manifests.render(overlay);
    // What was checked, for a diff against `kubectl kustomize k8s/<overlay>` where kubectl exists.
    Path rendered = Path.of("target/k8s-rendered", overlay.replace('/', '-') + ".yaml");
    Files.createDirectories(rendered.getParent());
    Files.writeString(
        rendered, Kustomize.toYaml(Kustomize.renderMaps(Manifests.ROOT.resolve(overlay))));

    assertThat(manifests.herald()).isNotNull();
    assertThat(manifests.service("herald")).isNotNull();
    assertThat(manifests.service("herald-management")).isNotNull();
    assertThat(manifests.one(Ingress.class, "herald")).isNotNull();
    assertThat(manifests.one(HorizontalPodAutoscaler.class, "herald")).isNotNull();
    assertThat(manifests.one(PodDisruptionBudget.class, "herald")).isNotNull();
    assertThat(manifests.one(NetworkPolicy.class, "herald")).isNotNull();
    assertThat(manifests.one(ConfigMap.class, "herald")).isNotNull();
    assertThat(manifests.ofKind("ServiceMonitor"))
        .as("dev leaves the ServiceMonitor out (no Prometheus Operator)")
        .hasSize(overlay.endsWith("dev") ? 0 : 1);
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void selectorsMatchThePodsTheyMean(String overlay) {
    Manifests manifests = Manifests.render(overlay);
    Deployment herald = manifests.herald();
    Map<String, String> pod = herald.getSpec().getTemplate().getMetadata().getLabels();

    assertThat(pod).containsAllEntriesOf(herald.getSpec().getSelector().getMatchLabels());
    assertThat(pod).containsAllEntriesOf(manifests.service("herald").getSpec().getSelector());
    assertThat(pod)
        .containsAllEntriesOf(manifests.service("herald-management").getSpec().getSelector());
    assertThat(pod)
        .containsAllEntriesOf(
            manifests
                .one(PodDisruptionBudget.class, "herald")
                .getSpec()
                .getSelector()
                .getMatchLabels());
    assertThat(pod)
        .containsAllEntriesOf(
            manifests
                .one(NetworkPolicy.class, "herald")
                .getSpec()
                .getPodSelector()
                .getMatchLabels());
    herald
        .getSpec()
        .getTemplate()
        .getSpec()
        .getTopologySpreadConstraints()
        .forEach(
            spread ->
                assertThat(pod).containsAllEntriesOf(spread.getLabelSelector().getMatchLabels()));
    var target =
        manifests.one(HorizontalPodAutoscaler.class, "herald").getSpec().getScaleTargetRef();
    assertThat(target.getKind() + "/" + target.getName()).isEqualTo("Deployment/herald");
    for (HasMetadata monitor : manifests.ofKind("ServiceMonitor")) {
      Map<String, String> selected = matchLabels(spec(monitor).get("selector"));
      assertThat(manifests.service("herald-management").getMetadata().getLabels())
          .containsAllEntriesOf(selected);
      assertThat(manifests.service("herald").getMetadata().getLabels().entrySet())
          .as("the ServiceMonitor must not select the client Service")
          .isNotEqualTo(null)
          .matches(labels -> !labels.containsAll(selected.entrySet()));
    }
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void portsAndProbesAreTheOnesTheNodeServes(String overlay) {
    Manifests manifests = Manifests.render(overlay);
    Container container = manifests.heraldContainer();
    Map<String, String> environment = manifests.environment(container);
    int clientPort = Integer.parseInt(environment.get("PORT"));
    int managementPort = Integer.parseInt(environment.get("MANAGEMENT_SERVER_PORT"));
    assertThat(managementPort).as("management moved off the client port").isNotEqualTo(clientPort);

    assertThat(Manifests.port(container, new IntOrString("http")).getContainerPort())
        .isEqualTo(clientPort);
    assertThat(Manifests.port(container, new IntOrString("management")).getContainerPort())
        .isEqualTo(managementPort);

    String actuator = actuatorBasePath();
    assertProbe(
        container.getStartupProbe(), container, managementPort, actuator + "/health/liveness");
    assertProbe(
        container.getLivenessProbe(), container, managementPort, actuator + "/health/liveness");
    assertProbe(
        container.getReadinessProbe(), container, managementPort, actuator + "/health/readiness");
    assertThat(exposedEndpoints()).contains("health", "prometheus");
    assertThat(applicationYml("management.endpoint.health.probes.enabled")).isEqualTo("true");

    Service client = manifests.service("herald");
    assertThat(client.getSpec().getPorts())
        .as("the client Service carries the client port only")
        .allSatisfy(
            port ->
                assertThat(Manifests.port(container, port.getTargetPort()).getContainerPort())
                    .isEqualTo(clientPort));
    Service management = manifests.service("herald-management");
    assertThat(management.getSpec().getClusterIP()).isEqualTo("None");
    ServicePort scraped = management.getSpec().getPorts().get(0);
    assertThat(Manifests.port(container, scraped.getTargetPort()).getContainerPort())
        .isEqualTo(managementPort);
    for (HasMetadata monitor : manifests.ofKind("ServiceMonitor")) {
      Map<String, Object> endpoint = Kustomize.map(list(spec(monitor).get("endpoints")).get(0));
      assertThat(endpoint).containsEntry("port", scraped.getName());
      assertThat(endpoint).containsEntry("path", actuator + "/prometheus");
    }

    IngressBackend backend =
        manifests
            .one(Ingress.class, "herald")
            .getSpec()
            .getRules()
            .get(0)
            .getHttp()
            .getPaths()
            .get(0)
            .getBackend();
    assertThat(backend.getService().getName()).isEqualTo("herald");
    assertThat(client.getSpec().getPorts())
        .extracting(ServicePort::getName)
        .contains(backend.getService().getPort().getName());

    var rules = manifests.one(NetworkPolicy.class, "herald").getSpec().getIngress();
    assertThat(rules)
        .flatExtracting(rule -> rule.getPorts())
        .allSatisfy(port -> Manifests.port(container, port.getPort()))
        .extracting(port -> Manifests.port(container, port.getPort()).getContainerPort())
        .containsExactlyInAnyOrder(clientPort, managementPort);
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void everyHeraldVariableIsARealSettingWithAValidValue(String overlay) {
    assertThat(SETTINGS.types())
        .as("the scan finds the settings types")
        .contains(
            AuthProperties.class,
            RedisProperties.class,
            SseProperties.class,
            WebSocketProperties.class);
    Manifests manifests = Manifests.render(overlay);
    Map<String, String> environment = manifests.environment(manifests.heraldContainer());

    assertThat(environment.keySet().stream().filter(name -> name.startsWith("HERALD_")))
        .isNotEmpty()
        .allSatisfy(
            name ->
                assertThat(SETTINGS.propertyFor(name))
                    .as("%s: %s binds to no Herald setting", overlay, name)
                    .isPresent());
    assertThat(SETTINGS.bind(environment)).isNotEmpty();
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void terminationGraceOutlastsPreStopDrainWindowAndMargin(String overlay) {
    Manifests manifests = Manifests.render(overlay);
    PodSpec pod = manifests.herald().getSpec().getTemplate().getSpec();
    Container container = manifests.heraldContainer();
    long preStop = container.getLifecycle().getPreStop().getSleep().getSeconds();
    Duration drain =
        HeraldSettings.drainWindow(SETTINGS.bind(manifests.environment(container)))
            .orElse(DOCUMENTED_DRAIN_WINDOW);

    assertThat(preStop).as("preStop lets ingress-nginx forget the pod first").isBetween(1L, 15L);
    assertThat(pod.getTerminationGracePeriodSeconds())
        .as("grace > preStop %ds + drain %s + margin %ds", preStop, drain, MARGIN_SECONDS)
        .isGreaterThan(preStop + drain.toSeconds() + MARGIN_SECONDS);
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void ingressKeepsLongLivedConnectionsStickyOpenAndUnbuffered(String overlay) {
    Manifests manifests = Manifests.render(overlay);
    Ingress ingress = manifests.one(Ingress.class, "herald");
    Map<String, String> annotations = ingress.getMetadata().getAnnotations();
    String nginx = "nginx.ingress.kubernetes.io/";
    Map<String, Object> bound = SETTINGS.bind(manifests.environment(manifests.heraldContainer()));
    Duration longestSilence =
        bound.values().stream()
            .map(
                settings ->
                    settings instanceof SseProperties sse
                        ? sse.heartbeat()
                        : settings instanceof WebSocketProperties ws
                            ? ws.pingInterval()
                            : Duration.ZERO)
            .max(Duration::compareTo)
            .orElseThrow();

    assertThat(ingress.getSpec().getIngressClassName()).isEqualTo("nginx");
    assertThat(annotations).containsEntry(nginx + "affinity", "cookie");
    assertThat(annotations.get(nginx + "session-cookie-name")).isNotBlank();
    assertThat(annotations).containsEntry(nginx + "proxy-buffering", "off");
    for (String timeout : List.of("proxy-read-timeout", "proxy-send-timeout")) {
      assertThat(Long.parseLong(annotations.get(nginx + timeout)))
          .as("%s: an hour, and far above the node's keep-alives (%s)", timeout, longestSilence)
          .isGreaterThanOrEqualTo(3600)
          .isGreaterThan(longestSilence.toSeconds() * 4);
    }
    assertThat(annotations.getOrDefault(nginx + "proxy-http-version", "1.1"))
        .as("WebSocket upgrades need HTTP/1.1 to the pod")
        .isEqualTo("1.1");
    assertThat(annotations.keySet())
        .as("snippets are off by default in ingress-nginx; nothing here may need one")
        .noneMatch(name -> name.endsWith("-snippet"));
    assertThat(manifests.environment(manifests.heraldContainer()))
        .as("behind the Ingress the client IP comes from X-Forwarded-For")
        .containsEntry("HERALD_TRUST_PROXY", "true");
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void podRunsAsNonRootOnAReadOnlyRootWithAWritableTmp(String overlay) {
    Manifests manifests = Manifests.render(overlay);
    PodSpec pod = manifests.herald().getSpec().getTemplate().getSpec();
    Container container = manifests.heraldContainer();

    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    var tmp =
        container.getVolumeMounts().stream()
            .filter(mount -> mount.getMountPath().equals("/tmp"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no writable /tmp"));
    Volume volume =
        pod.getVolumes().stream()
            .filter(v -> v.getName().equals(tmp.getName()))
            .findFirst()
            .orElseThrow();
    assertThat(volume.getEmptyDir()).isNotNull();
    assertThat(tmp.getReadOnly()).isNotEqualTo(Boolean.TRUE);
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void heapFollowsTheMemoryLimitWhichIsAlsoTheRequest(String overlay) {
    Manifests manifests = Manifests.render(overlay);
    Container container = manifests.heraldContainer();
    String options = manifests.environment(container).get("JAVA_TOOL_OPTIONS");
    Matcher percentage = Pattern.compile("-XX:MaxRAMPercentage=(\\d+)").matcher(options);
    Map<String, Quantity> requests = container.getResources().getRequests();
    Map<String, Quantity> limits = container.getResources().getLimits();

    assertThat(percentage.find()).as(options).isTrue();
    assertThat(Integer.parseInt(percentage.group(1)))
        .as("room for Netty's direct buffers and the JVM")
        .isBetween(40, 75);
    assertThat(options).doesNotContain("-Xmx").doesNotContain("-Xms");
    assertThat(requests).containsKeys("cpu", "memory");
    assertThat(limits).containsKeys("cpu", "memory");
    assertThat(Quantity.getAmountInBytes(limits.get("memory")))
        .as("memory request = limit: the pod is not evicted for memory it was promised")
        .isEqualTo(Quantity.getAmountInBytes(requests.get("memory")));
  }

  /**
   * The image's AOT cache (README "The image") is usable only with the JVM options its training run
   * had: the Deployment, which replaces the image's {@code JAVA_TOOL_OPTIONS}, must pass the same
   * ones plus the cache, or every pod would start without it and only log why.
   */
  @ParameterizedTest
  @MethodSource("overlays")
  void jvmOptionsAreTheOnesTheImagesAotCacheWasTrainedWith(String overlay) throws Exception {
    String dockerfile = Files.readString(Path.of("Dockerfile"), StandardCharsets.UTF_8);
    List<String> imageOptions =
        Pattern.compile("(?m)^ENV JAVA_TOOL_OPTIONS=\"([^\"]*)\"")
            .matcher(dockerfile)
            .results()
            .map(match -> match.group(1))
            .toList();
    Manifests manifests = Manifests.render(overlay);
    String deployed = manifests.environment(manifests.heraldContainer()).get("JAVA_TOOL_OPTIONS");

    assertThat(imageOptions)
        .as("training options, then the same with the cache")
        .hasSize(2)
        .element(1)
        .isEqualTo("${JAVA_TOOL_OPTIONS} -XX:AOTCache=/app/herald.aot");
    assertThat(dockerfile).contains("\"-XX:AOTCacheOutput=/app/herald.aot\"");
    assertThat(deployed.trim().split("\\s+"))
        .containsExactly((imageOptions.get(0) + " -XX:AOTCache=/app/herald.aot").split(" "));
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void autoscalerOwnsTheReplicasAndScalesDownSlowly(String overlay) {
    Manifests manifests = Manifests.render(overlay);
    HorizontalPodAutoscaler hpa = manifests.one(HorizontalPodAutoscaler.class, "herald");

    assertThat(manifests.herald().getSpec().getReplicas())
        .as("a replicas field would reset the autoscaler's count on every apply")
        .isNull();
    assertThat(hpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2);
    assertThat(hpa.getSpec().getMetrics())
        .anySatisfy(metric -> assertThat(metric.getResource().getName()).isEqualTo("cpu"));
    assertThat(hpa.getSpec().getBehavior().getScaleDown().getStabilizationWindowSeconds())
        .isGreaterThanOrEqualTo(300);
    assertThat(manifests.one(PodDisruptionBudget.class, "herald").getSpec().getMaxUnavailable())
        .isEqualTo(new IntOrString(1));
  }

  @Test
  void devRunsItsOwnRedisAndProdReadsTheUrlFromASecret() {
    Manifests dev = Manifests.render("overlays/dev");
    URI redis = URI.create(dev.environment(dev.heraldContainer()).get("HERALD_REDIS_URL"));
    Service service = dev.service(redis.getHost());
    assertThat(service.getSpec().getPorts())
        .extracting(ServicePort::getPort)
        .contains(redis.getPort());
    Deployment redisServer = dev.one(Deployment.class, "herald-redis");
    assertThat(redisServer.getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(service.getSpec().getSelector());
    NetworkPolicy redisPolicy = dev.one(NetworkPolicy.class, "herald-redis");
    assertThat(dev.herald().getSpec().getTemplate().getMetadata().getLabels())
        .containsAllEntriesOf(
            redisPolicy
                .getSpec()
                .getIngress()
                .get(0)
                .getFrom()
                .get(0)
                .getPodSelector()
                .getMatchLabels());
    Secret devSecret = dev.one(Secret.class, "herald-secrets");
    assertThat(Manifests.secretValue(devSecret, "hmac-secret").getBytes(StandardCharsets.UTF_8))
        .hasSizeGreaterThanOrEqualTo(32);

    Manifests prod = Manifests.render("overlays/prod");
    var url =
        prod.heraldContainer().getEnv().stream()
            .filter(variable -> variable.getName().equals("HERALD_REDIS_URL"))
            .findFirst()
            .orElseThrow();
    assertThat(url.getValue()).isNull();
    assertThat(url.getValueFrom().getSecretKeyRef().getName()).isEqualTo("herald-redis");
    assertThat(prod.all(Secret.class)).as("no secret of any kind ships for prod").isEmpty();
    assertThat(Manifests.render("base").all(Secret.class)).isEmpty();
    assertThat(prod.heraldContainer().getImage()).isEqualTo("registry.example.com/herald:0.1.0");
  }

  @Test
  void theSecretExampleNamesEveryKeyAndCannotRunAsIs() {
    Manifests prod = Manifests.render("overlays/prod");
    Secret example =
        prod.examples().stream()
            .filter(secret -> secret.getMetadata().getName().equals("herald-secrets"))
            .findFirst()
            .orElseThrow();

    assertThat(prod.environment(prod.heraldContainer())).containsKeys("HERALD_AUTH_HMAC_SECRET");
    assertThat(Manifests.secretValue(example, "hmac-secret").getBytes(StandardCharsets.UTF_8))
        .as("a placeholder a node refuses (under 32 bytes), never a usable published secret")
        .hasSizeLessThan(32);
  }

  @Test
  void theRendererRefusesWhatItDoesNotUnderstand(@TempDir Path directory) throws Exception {
    Path base = Files.createDirectories(directory.resolve("base"));
    Path overlay = Files.createDirectories(directory.resolve("overlay"));
    Files.writeString(base.resolve("kustomization.yaml"), "resources: []\n");
    Files.writeString(
        overlay.resolve("kustomization.yaml"), "resources: [../base]\nnamePrefix: x-\n");
    assertThatThrownBy(() -> Kustomize.render(overlay)).hasMessageContaining("namePrefix");

    Files.writeString(
        overlay.resolve("kustomization.yaml"),
        "resources: [../base]\npatches: [{path: patch.yaml}]\n");
    Files.writeString(
        overlay.resolve("patch.yaml"), "apiVersion: v1\nkind: Service\nmetadata: {name: nope}\n");
    assertThatThrownBy(() -> Kustomize.render(overlay))
        .hasMessageContaining("Service/nope matches no resource");
  }

  private static void assertProbe(Probe probe, Container container, int port, String path) {
    assertThat(probe).isNotNull();
    assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
    assertThat(Manifests.port(container, probe.getHttpGet().getPort()).getContainerPort())
        .isEqualTo(port);
  }

  private static String actuatorBasePath() {
    return Optional.ofNullable(applicationYml("management.endpoints.web.base-path"))
        .orElse("/actuator");
  }

  private static List<String> exposedEndpoints() {
    return List.of(applicationYml("management.endpoints.web.exposure.include").split(","));
  }

  private static String applicationYml(String property) {
    return Kustomize.flatten(
            Kustomize.readAll(Path.of("src/main/resources/application.yml")).get(0))
        .get(property);
  }

  private static Map<String, Object> spec(HasMetadata resource) {
    return Kustomize.map(
        ((io.fabric8.kubernetes.api.model.GenericKubernetesResource) resource)
            .getAdditionalProperties()
            .get("spec"));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> matchLabels(Object selector) {
    return (Map<String, String>) Kustomize.map(selector).get("matchLabels");
  }

  private static List<?> list(Object value) {
    return (List<?>) value;
  }
}
