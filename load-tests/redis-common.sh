# Sourced by the load scripts that need Redis: from the repository root, with OUT set. Starts a
# redis-server (the one on PATH, else the Linux binary that the embedded-redis test dependency ships)
# on a free loopback port as REDIS_PORT, builds the node's jar and the load tools (CP), and stops
# every process whose PID is added to PIDS when the script exits.
# shellcheck shell=bash
PIDS=()
WORK=$(mktemp -d)
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  local port
  while :; do
    # Below the ephemeral range (32768-60999 here), where a busy machine's outgoing connections
    # would make a port that looks free fail to bind.
    port=$((20000 + RANDOM % 12000))
    (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null || { echo "$port"; return; }
  done
}

# Waits until the node just started (the last PID in PIDS) named $1 answers ready on port $2; exits
# the script, pointing at its log, if it dies or is not ready within 2 minutes.
wait_ready() {
  local name=$1 port=$2
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$port/actuator/health/readiness" > /dev/null && return
    kill -0 "${PIDS[-1]}" 2> /dev/null || break
    sleep 0.5
  done
  echo "node $name on port $port did not start; see $OUT/node-$name.log" >&2
  exit 1
}

# The redis-server on PATH, else the Linux binary that the embedded-redis test dependency ships.
if command -v redis-server > /dev/null; then
  REDIS_BIN=$(command -v redis-server)
else
  JAR=$(ls ~/.m2/repository/com/github/codemonstur/embedded-redis/*/embedded-redis-*.jar | sort -V | tail -1)
  (cd "$WORK" && unzip -q -o "$JAR" 'redis-server-*-linux-amd64')
  REDIS_BIN=$(ls "$WORK"/redis-server-*-linux-amd64 | head -1)
  chmod +x "$REDIS_BIN"
fi

[ -f target/herald.jar ] || ./mvnw -o -q package -DskipTests
./mvnw -o -q -f load-tests/pom.xml compile
CP="load-tests/target/classes:$(./mvnw -o -q -f load-tests/pom.xml dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"

REDIS_PORT=$(free_port)
"$REDIS_BIN" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
  > "$OUT/redis.log" 2>&1 &
PIDS+=($!)
