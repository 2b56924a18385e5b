package herald.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Renders a kustomization directory the way {@code kubectl kustomize} does, for the subset of
 * kustomize that {@code k8s/} uses, so the manifests' tests need no kubectl.
 *
 * <p>Supported fields: {@code resources} (files, or directories holding a kustomization), {@code
 * patches} given by {@code path} (strategic-merge patches naming their target by kind and
 * metadata.name; a top-level {@code $patch: delete} removes the target) and {@code images} ({@code
 * name}, {@code newName}, {@code newTag}). The merge follows Kubernetes' strategic merge for what
 * the manifests patch: maps merge key by key, a {@code null} value removes the key, lists of maps
 * that have a {@code name} (containers, env, volumes, mounts) merge item by item on it (new items
 * first, as kubectl orders them), and every other list is replaced. Anything else (another
 * kustomization field, {@code $patch} below the top, a patch whose target is missing) fails loudly,
 * so a manifest change that needs more is noticed here instead of rendering differently from
 * kubectl. {@code KubernetesManifestsTests} writes what it rendered to {@code
 * target/k8s-rendered/}; on 2026-12-02 it equalled {@code kubectl kustomize} 1.32 (kustomize 5.5)
 * for every overlay, compared as parsed YAML.
 */
final class Kustomize {

  private static final Set<String> SUPPORTED =
      Set.of("apiVersion", "kind", "resources", "patches", "images");

  private Kustomize() {}

  /** The resources of the kustomization in {@code directory}, as fabric8 model objects. */
  static List<HasMetadata> render(Path directory) {
    return renderMaps(directory).stream().map(Kustomize::toModel).toList();
  }

  /** The resources of the kustomization in {@code directory}, as YAML maps. */
  static List<Map<String, Object>> renderMaps(Path directory) {
    Map<String, Object> kustomization = readOne(directory.resolve("kustomization.yaml"));
    for (String field : kustomization.keySet()) {
      if (!SUPPORTED.contains(field)) {
        throw new IllegalStateException(
            directory + ": kustomization field '" + field + "' is not supported by this renderer");
      }
    }
    List<Map<String, Object>> resources = new ArrayList<>();
    for (Object entry : list(kustomization.get("resources"))) {
      Path path = directory.resolve((String) entry).normalize();
      if (Files.isDirectory(path)) {
        resources.addAll(renderMaps(path));
      } else {
        resources.addAll(readAll(path));
      }
    }
    for (Object entry : list(kustomization.get("patches"))) {
      Map<String, Object> patch = map(entry);
      if (patch.keySet().size() != 1 || !patch.containsKey("path")) {
        throw new IllegalStateException(directory + ": only patches given by path are supported");
      }
      apply(resources, readOne(directory.resolve((String) patch.get("path"))), directory);
    }
    for (Object entry : list(kustomization.get("images"))) {
      setImage(resources, map(entry));
    }
    return resources;
  }

  /** Reads every document of a YAML file as one resource each. */
  static List<Map<String, Object>> readAll(Path file) {
    List<Map<String, Object>> documents = new ArrayList<>();
    for (Object document : yaml().loadAll(read(file))) {
      if (document != null) {
        documents.add(map(document));
      }
    }
    return documents;
  }

  /** Resources as one multi-document YAML text, as kubectl kustomize prints them. */
  static String toYaml(List<Map<String, Object>> resources) {
    return yaml().dumpAll(resources.iterator());
  }

  static HasMetadata toModel(Map<String, Object> resource) {
    return Serialization.unmarshal(Serialization.asYaml(resource), HasMetadata.class);
  }

  private static void apply(
      List<Map<String, Object>> resources, Map<String, Object> patch, Path directory) {
    Map<String, Object> target =
        resources.stream()
            .filter(resource -> sameObject(resource, patch))
            .findFirst()
            .orElseThrow(
                () ->
                    new IllegalStateException(
                        directory + ": the patch for " + id(patch) + " matches no resource"));
    if ("delete".equals(patch.get("$patch"))) {
      resources.remove(target);
      return;
    }
    merge(target, patch);
  }

  private static void merge(Map<String, Object> target, Map<String, Object> patch) {
    for (Map.Entry<String, Object> entry : patch.entrySet()) {
      String key = entry.getKey();
      Object value = entry.getValue();
      if (key.startsWith("$")) {
        throw new IllegalStateException("directive " + key + " is only supported at the top");
      }
      Object existing = target.get(key);
      if (value == null) {
        target.remove(key);
      } else if (existing instanceof Map<?, ?> && value instanceof Map<?, ?>) {
        merge(map(existing), map(value));
      } else if (existing instanceof List<?> old && value instanceof List<?> patchList) {
        target.put(key, mergeLists(old, patchList));
      } else {
        target.put(key, value);
      }
    }
  }

  private static List<Object> mergeLists(List<?> target, List<?> patch) {
    if (!patch.stream().allMatch(Kustomize::named) || !target.stream().allMatch(Kustomize::named)) {
      return new ArrayList<>(patch);
    }
    List<Object> added = new ArrayList<>();
    for (Object item : patch) {
      Object name = map(item).get("name");
      target.stream()
          .map(Kustomize::map)
          .filter(existing -> name.equals(existing.get("name")))
          .findFirst()
          .ifPresentOrElse(existing -> merge(existing, map(item)), () -> added.add(item));
    }
    // kubectl puts the patch's new items first, then the merged old ones.
    added.addAll(target);
    return added;
  }

  private static boolean named(Object item) {
    return item instanceof Map<?, ?> map && map.get("name") != null;
  }

  private static void setImage(List<Map<String, Object>> resources, Map<String, Object> image) {
    String name = (String) image.get("name");
    for (Map<String, Object> resource : resources) {
      for (Map<String, Object> container : containers(resource)) {
        String current = (String) container.get("image");
        String repository = current.contains(":") ? current.split(":")[0] : current;
        if (repository.equals(name)) {
          String tag = current.contains(":") ? current.split(":")[1] : "latest";
          container.put(
              "image",
              image.getOrDefault("newName", repository) + ":" + image.getOrDefault("newTag", tag));
        }
      }
    }
  }

  private static List<Map<String, Object>> containers(Map<String, Object> resource) {
    Object spec = resource.get("spec");
    if (!(spec instanceof Map<?, ?> specMap) || !(specMap.get("template") instanceof Map<?, ?> t)) {
      return List.of();
    }
    Object podSpec = t.get("spec");
    if (!(podSpec instanceof Map<?, ?> pod)) {
      return List.of();
    }
    return list(pod.get("containers")).stream().map(Kustomize::map).toList();
  }

  private static boolean sameObject(Map<String, Object> a, Map<String, Object> b) {
    return id(a).equals(id(b));
  }

  private static String id(Map<String, Object> resource) {
    return resource.get("kind") + "/" + map(resource.get("metadata")).get("name");
  }

  private static Map<String, Object> readOne(Path file) {
    List<Map<String, Object>> documents = readAll(file);
    if (documents.size() != 1) {
      throw new IllegalStateException(file + ": expected one YAML document");
    }
    return documents.get(0);
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Yaml yaml() {
    return new Yaml(new SafeConstructor(new LoaderOptions()));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object value) {
    return (Map<String, Object>) Objects.requireNonNull(value);
  }

  private static List<?> list(Object value) {
    return value == null ? List.of() : (List<?>) value;
  }

  /** A YAML document's leaves by dotted path ({@code management.server.port}), as text. */
  static Map<String, String> flatten(Map<String, Object> document) {
    Map<String, String> leaves = new LinkedHashMap<>();
    flatten("", document, leaves);
    return leaves;
  }

  private static void flatten(String prefix, Map<String, Object> node, Map<String, String> leaves) {
    node.forEach(
        (key, value) -> {
          String path = prefix.isEmpty() ? key : prefix + "." + key;
          if (value instanceof Map<?, ?>) {
            flatten(path, map(value), leaves);
          } else {
            leaves.put(path, String.valueOf(value));
          }
        });
  }
}
