#!/usr/bin/env bash
# Runs one load scenario against a fresh Herald node on loopback and prints one JSON line per step.
# Starts the node from target/herald.jar (or NODE_JAR), runs herald.load.Coordinator (which starts its worker
# processes), and stops everything it started, by PID, on exit. Bounded: the scenario is killed
# after TIMEOUT seconds (default 600).
#
# usage: load-tests/run.sh idle|handshake|fanout|channels [key=value ...]
#   e.g. load-tests/run.sh idle transport=sse steps=5000,10000,15000,19000
#        load-tests/run.sh fanout subs=5000 rates=2,8,20 seconds=15 publisher=http
# environment: NODE_JAR (default target/herald.jar, built if missing), NODE_JAVA (java binary of the
#              node), NODE_OPTS (its JVM options), PORT, TIMEOUT, START_TIMEOUT (s, default 60),
#              NODE_ARGS (extra --key=value settings of the node), LABEL (copied into every result line)
set -euo pipefail
cd "$(dirname "$0")/.."
SCENARIO=${1:?usage: load-tests/run.sh idle|handshake|fanout|channels [key=value ...]}
shift
PORT=${PORT:-18200}
TIMEOUT=${TIMEOUT:-600}
NODE_JAVA=${NODE_JAVA:-java}
NODE_OPTS=${NODE_OPTS:--Xmx1g}
API_KEY=load-test-key
NODE_JAR=${NODE_JAR:-target/herald.jar}

[ -f "$NODE_JAR" ] || ./mvnw -q package -DskipTests
if [ ! -f load-tests/target/classpath.txt ] || [ load-tests/pom.xml -nt load-tests/target/classpath.txt ]; then
  ./mvnw -q -f load-tests/pom.xml dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
fi
./mvnw -q -f load-tests/pom.xml compile
CP="load-tests/target/classes:$(cat load-tests/target/classpath.txt)"

# Development mode (herald.auth.insecure) on loopback: every tokenless client is the same user, so the
# per-user connection limit is lifted; the rate limits stay on (their cost is part of the result)
# but high enough never to refuse.
BIG=10000000
# shellcheck disable=SC2086
$NODE_JAVA $NODE_OPTS -jar "$NODE_JAR" --server.port="$PORT" \
  --herald.auth.insecure=true --herald.api.key=$API_KEY \
  --herald.limits.max-connections-per-user=$BIG \
  --herald.limits.connections-per-ip=$BIG --herald.limits.connections-per-node=$BIG \
  --herald.rate-limits.connections-per-ip-per-second=$BIG --herald.rate-limits.connections-per-ip-burst=$BIG \
  --herald.rate-limits.inbound-frames-per-second=$BIG --herald.rate-limits.inbound-frames-burst=$BIG \
  --herald.rate-limits.api-publishes-per-second=$BIG --herald.rate-limits.api-publishes-burst=$BIG \
  --logging.level.root=WARN ${NODE_ARGS:-} \
  > "target/load-node-$PORT.log" 2>&1 &
NODE_PID=$!
COORD_PID=
cleanup() {
  [ -n "$COORD_PID" ] && kill "$COORD_PID" 2>/dev/null || true
  kill "$NODE_PID" 2>/dev/null || true
  wait "$NODE_PID" 2>/dev/null || true
}
trap cleanup EXIT

# A loaded machine can take minutes to start a node: wait up to START_TIMEOUT seconds, then give up.
# Readiness, not liveness: the node's own warm-up (README "Warm-up") must be over before the traffic.
ready=
for _ in $(seq 1 $((2 * ${START_TIMEOUT:-60}))); do
  curl -sf "http://127.0.0.1:$PORT/actuator/health/readiness" > /dev/null && { ready=1; break; }
  kill -0 "$NODE_PID" 2>/dev/null || { echo "node failed to start, see target/load-node-$PORT.log" >&2; exit 1; }
  sleep 0.5
done
[ -n "$ready" ] || { echo "node not ready after ${START_TIMEOUT:-60} s, see target/load-node-$PORT.log" >&2; exit 1; }

timeout "$TIMEOUT" java -Xmx512m -cp "$CP" herald.load.Coordinator scenario="$SCENARIO" \
  pid="$NODE_PID" port="$PORT" apiKey=$API_KEY label="${LABEL:-}" "$@" &
COORD_PID=$!
wait "$COORD_PID"
