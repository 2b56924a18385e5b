# Sourced by the load scripts that need Redis: from the repository root, with OUT set. Starts a
# redis-server (the one on PATH, else the Linux binary that the embedded-redis test dependency ships)
# on a free loopback port as REDIS_PORT, builds the node's jar and (unless LOAD_TOOLS=0) the load
# tools (CP), and stops every process whose PID is added to PIDS when the script exits.
# shellcheck shell=bash
PIDS=()
WORK=$(mktemp -d)
# Stops everything with SIGTERM, Redis (the first PID) last so that the nodes stop while it still
# answers; whatever still runs STOP_GRACE seconds after its SIGTERM (default 30: a node's drain
# window plus margin) gets SIGKILL, so the script always ends.
stop_pids() {
  local pid deadline
  for pid in "$@"; do kill "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + ${STOP_GRACE:-30}))
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null || true
  done
}
cleanup() {
  [ "${#PIDS[@]}" -gt 1 ] && stop_pids "${PIDS[@]:1}"
  [ "${#PIDS[@]}" -gt 0 ] && stop_pids "${PIDS[0]}"
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

# Waits until the node named $1 (process $3, default the last PID in PIDS) answers ready on port $2;
# exits the script, pointing at its log, if it dies or is not ready within READY_TIMEOUT seconds
# (default 120; a JVM starting beside other busy ones on two cores has taken over 220 s).
wait_ready() {
  local name=$1 port=$2 pid=${3:-${PIDS[-1]}} deadline=$((SECONDS + ${READY_TIMEOUT:-120}))
  while [ "$SECONDS" -lt "$deadline" ]; do
    curl -sf "http://127.0.0.1:$port/actuator/health/readiness" > /dev/null && return
    kill -0 "$pid" 2> /dev/null || break
    sleep 0.5
  done
  echo "node $name on port $port did not start within ${READY_TIMEOUT:-120} s; see $OUT/node-$name.log" >&2
  exit 1
}

# Starts node $1 on port $2 with the script's NODE_OPTS and any further arguments, logging to
# $OUT/node-$1.log, adds its PID to PIDS and waits until it is ready. (storm.sh starts its nodes
# its own way.)
start_node() { # name port [args...]
  local name=$1 port=$2
  shift 2
  java -Xmx512m -jar target/herald.jar --server.port="$port" --herald.node.name="$name" \
    "${NODE_OPTS[@]}" "$@" > "$OUT/node-$name.log" 2>&1 &
  PIDS+=($!)
  wait_ready "$name" "$port"
}

# The redis-server on PATH, else the Linux binary that the embedded-redis test dependency ships.
if command -v redis-server > /dev/null; then
  REDIS_BIN=$(command -v redis-server)
else
  JAR=$(ls ~/.m2/repository/com/github/codemonstur/embedded-redis/*/embedded-redis-*.jar 2> /dev/null | sort -V | tail -1)
  if [ -z "$JAR" ]; then
    echo "no redis-server: install one (Debian/Ubuntu: apt-get install redis-server), or run ./mvnw test-compile" >&2
    echo "once, which fetches the embedded-redis test dependency whose Linux binary is used instead" >&2
    exit 1
  fi
  (cd "$WORK" && unzip -q -o "$JAR" 'redis-server-*-linux-amd64')
  REDIS_BIN=$(ls "$WORK"/redis-server-*-linux-amd64 | head -1)
  chmod +x "$REDIS_BIN"
fi

if [ ! -f target/herald.jar ]; then
  echo "target/herald.jar is missing: building it (./mvnw -q package -DskipTests)" >&2
  ./mvnw -q package -DskipTests || {
    echo "could not build target/herald.jar; build it with ./mvnw package -DskipTests" >&2
    exit 1
  }
fi
if [ "${LOAD_TOOLS:-1}" != 0 ]; then
  ./mvnw -q -f load-tests/pom.xml compile
  CP="load-tests/target/classes:$(./mvnw -q -f load-tests/pom.xml dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
fi

REDIS_PORT=$(free_port)
"$REDIS_BIN" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
  > "$OUT/redis.log" 2>&1 &
PIDS+=($!)
