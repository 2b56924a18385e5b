#!/usr/bin/env bash
# Builds Herald's image on a machine with no container registry and no Docker daemon, then proves it:
# runs it with podman (read-only root, /tmp a tmpfs, non-root, a memory limit), waits for readiness on
# the management port, checks that /actuator is not on the client port, stops it with SIGTERM.
#
#   k8s/image/build-local.sh [tag]          (default tag: localhost/herald:0.1.0; needs root, buildah, podman)
#
# No base image can be pulled here, so the script makes the JRE base itself from what this machine has:
# Debian's libc6 and libgcc-s1 packages (apt-get download, unpacked) plus a runtime jlink'ed from the
# Temurin 25 JDK (JDK=...; default /usr/lib/jvm/temurin-25-jdk-amd64). The application image is then
# built from the repository's Dockerfile, its runtime stage unchanged, with RUNTIME_IMAGE set to that
# base and LAYERS_FROM=prebuilt (the jar built here by ./mvnw, its layers extracted as in the Dockerfile).
# To load the image into a local cluster under the manifests' name (herald:0.1.0):
#   podman tag localhost/herald:0.1.0 docker.io/library/herald:0.1.0
#   podman save docker.io/library/herald:0.1.0 -o herald.tar && kind load image-archive herald.tar
# (or minikube image load herald.tar; k3s ctr images import herald.tar).
#
# Everything it starts is stopped by its id; the smoke container is bounded to 300 s of waiting.
set -euo pipefail
cd "$(dirname "$0")/../.."
TAG=${1:-localhost/herald:0.1.0}
JDK=${JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
BASE=localhost/herald-jre-base:25
for tool in buildah podman apt-get dpkg-deb curl; do   # Debian: apt-get install -y buildah podman runc
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install -y buildah podman)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/herald-image.XXXXXX)
container=""
cleanup() {
  if [ -n "$container" ]; then podman rm -f "$container" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "== 1/4 the jar and its layers"
if [ ! -f target/herald.jar ] || [ -n "$(find src pom.xml -newer target/herald.jar -print -quit)" ]; then
  ./mvnw -B -q -o package -Dmaven.test.skip=true -Djacoco.skip=true
fi
rm -rf target/layers
java -Djarmode=tools -jar target/herald.jar extract --layers --destination target/layers

echo "== 2/4 the JRE base from Debian packages and a jlink'ed Java 25"
rootfs=$work/rootfs
mkdir -p "$rootfs"
(cd "$work" && apt-get download -q libc6 libgcc-s1 gcc-12-base 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$rootfs"; done
rm -rf "$rootfs"/usr/share/doc "$rootfs"/usr/share/lintian "$rootfs"/usr/share/locale "$rootfs"/usr/lib/x86_64-linux-gnu/gconv
# The modules Spring Boot, Reactor Netty, Lettuce and Micrometer use (java.desktop for java.beans,
# jdk.unsupported for Netty, jdk.management for the process metrics, jdk.naming.dns for Lettuce).
"$JDK/bin/jlink" --output "$rootfs/opt/java/openjdk" --strip-debug --no-man-pages --no-header-files \
  --add-modules java.base,java.desktop,java.instrument,java.logging,java.management,java.naming,java.net.http,java.prefs,java.scripting,java.security.jgss,java.security.sasl,java.sql,java.xml,jdk.crypto.cryptoki,jdk.jfr,jdk.management,jdk.naming.dns,jdk.net,jdk.unsupported,jdk.zipfs
mkdir -p "$rootfs/etc" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\nherald:x:10001:10001:herald:/tmp:/sbin/nologin\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nherald:x:10001:\n' > "$rootfs/etc/group"
# Without it glibc asks DNS before /etc/hosts, and the node's own host name (its default node name)
# waits for DNS timeouts where no resolver answers.
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
cat > "$work/Containerfile" <<'CONTAINERFILE'
FROM scratch
COPY rootfs/ /
ENV JAVA_HOME=/opt/java/openjdk PATH=/opt/java/openjdk/bin:/usr/bin:/bin LANG=C.UTF-8
CONTAINERFILE
previous_base=$(podman image inspect -f '{{.Id}}' "$BASE" 2>/dev/null || true)
buildah bud -q --layers=false -f "$work/Containerfile" -t "$BASE" "$work" >/dev/null

echo "== 3/4 the application image from ./Dockerfile"
previous=$(podman image inspect -f '{{.Id}}' "$TAG" 2>/dev/null || true)
containers_before=$(buildah containers -q | sort)
images_before=$(podman images -q --filter dangling=true | sort)
buildah bud -q --layers=false --build-arg LAYERS_FROM=prebuilt --build-arg RUNTIME_IMAGE="$BASE" \
  -f Dockerfile -t "$TAG" . >/dev/null
podman image inspect "$TAG" --format 'image {{.RepoTags}} size {{.Size}} bytes, user {{.User}}'
# The images this run replaced (application and base), and the working containers and untagged stage
# images buildah keeps for the prebuilt stage, go (by id, only those this run made or replaced).
for leftover in $(comm -13 <(echo "$containers_before") <(buildah containers -q | sort)); do
  buildah rm "$leftover" >/dev/null 2>&1 || true
done
for leftover in $(comm -13 <(echo "$images_before") <(podman images -q --filter dangling=true | sort)); do
  podman rmi "$leftover" >/dev/null 2>&1 || true
done
if [ -n "$previous" ] && [ "$previous" != "$(podman image inspect -f '{{.Id}}' "$TAG")" ]; then
  podman rmi "$previous" >/dev/null 2>&1 || true
fi
if [ -n "$previous_base" ] && [ "$previous_base" != "$(podman image inspect -f '{{.Id}}' "$BASE")" ]; then
  podman rmi "$previous_base" >/dev/null 2>&1 || true
fi

echo "== 4/4 smoke test: read-only root, non-root, 768 MiB, readiness, then SIGTERM"
# Debian 12's crun refuses hybrid cgroup hierarchies ("cgroups in hybrid mode not supported"); runc
# runs them. podman's default rlimits (1048576 files, more processes than here) cannot be set by a root
# without CAP_SYS_RESOURCE, so the container gets this shell's open-file limit and 4096 processes.
runtime=()
if command -v runc >/dev/null; then runtime=(--runtime runc); fi
port=$((20000 + RANDOM % 20000))
# podman asks for 1048576 open files by default; a process may not raise its hard limit, so the
# container gets this shell's (one file per connection: see the open-file limit in the README).
files=$(ulimit -Hn)
management=$((port + 1))
container=$(podman run -d "${runtime[@]}" --read-only --tmpfs /tmp:rw,exec,size=64m --memory 768m --cap-drop ALL \
  --ulimit "nofile=$files:$files" --ulimit nproc=4096:4096 --security-opt no-new-privileges -p "127.0.0.1:$port:8080" -p "127.0.0.1:$management:8081" \
  -e MANAGEMENT_SERVER_PORT=8081 -e HERALD_AUTH_HMAC_SECRET=smoke-test-secret-smoke-test-secret-0123 \
  -e HERALD_API_KEY=smoke-test-key "$TAG")
started=$(date +%s%N)
ready=""
# Bounded: 300 s (9 s on a quiet machine, the warm-up included; minutes when other builds share the cores).
for _ in $(seq 1 600); do
  if curl -fsS "http://127.0.0.1:$management/actuator/health/readiness" 2>/dev/null | grep -q '"UP"'; then
    ready=yes
    break
  fi
  if [ "$(podman inspect -f '{{.State.Running}}' "$container")" != "true" ]; then break; fi
  sleep 0.5
done
if [ -z "$ready" ]; then
  podman logs "$container" | tail -40
  echo "FAILED: not ready" >&2
  exit 1
fi
echo "ready after $(( ($(date +%s%N) - started) / 1000000 )) ms (container start to readiness UP)"
echo "user in the container: $(podman top "$container" user huser | tail -1)"
status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/actuator/health")
echo "client port /actuator/health: HTTP $status (management is on its own port)"
[ "$status" = 404 ] || { echo "FAILED: /actuator reachable on the client port" >&2; exit 1; }
# Read whole, then searched: grep -q stops at its first match, and curl writing into the closed pipe
# would fail the pipeline (pipefail).
metrics=$(curl -fsS "http://127.0.0.1:$management/actuator/prometheus") \
  || { echo "FAILED: no /actuator/prometheus" >&2; exit 1; }
grep -q '^jvm_memory_max_bytes' <<<"$metrics" || { echo "FAILED: no JVM metrics on /actuator/prometheus" >&2; exit 1; }
podman exec "$container" java -XX:+PrintFlagsFinal -version 2>/dev/null \
  | awk '/ MaxHeapSize |UseCompactObjectHeaders |UseG1GC /{print "jvm: " $2 " = " $4}'
podman logs "$container" 2>&1 | grep -m1 'Picked up JAVA_TOOL_OPTIONS' || true
# The JVM logs "[error][aot]" or "[warning][aot]" when it cannot map the cache the training run wrote.
if podman logs "$container" 2>&1 | grep -E '\]\[(error|warning) *\]\[aot'; then
  echo "FAILED: the JVM did not use the image's AOT cache" >&2
  exit 1
fi
echo "AOT cache: used (the JVM logged no [aot] error or warning)"
stopping=$(date +%s%N)
podman stop -t 40 "$container" >/dev/null
echo "stopped by SIGTERM in $(( ($(date +%s%N) - stopping) / 1000000 )) ms, exit code $(podman inspect -f '{{.State.ExitCode}}' "$container")"
echo "OK: $TAG"
