#!/usr/bin/env bash
# Cost of the rate limiter on the hot path: the same fan-out against two nodes started side by side,
# one with rate limits on (set high enough never to reject, so the limiter runs but never refuses)
# and one with them off, alternating runs. Loopback only; bounded; stops the nodes it started.
#
# usage: load-tests/limiter-cost.sh [subscribers] [rate] [seconds] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
SUBSCRIBERS=${1:-200}
RATE=${2:-1000}
SECONDS_PER_RUN=${3:-10}
RUNS=${4:-3}
ON_PORT=18091
OFF_PORT=18092

[ -f target/herald.jar ] || ./mvnw -q package -DskipTests
./mvnw -q -f load-tests/pom.xml compile

JVM_OPTS="-Xmx512m"
# Tokenless clients of development mode (herald.auth.insecure) are all one user: lift the per-user
# and per-IP connection limits.
COMMON="--herald.limits.max-connections-per-user=1000000 --herald.limits.connections-per-ip=1000000 --herald.auth.insecure=true"
java $JVM_OPTS -jar target/herald.jar --server.port=$ON_PORT $COMMON \
  --herald.rate-limits.inbound-frames-per-second=10000000 --herald.rate-limits.inbound-frames-burst=10000000 \
  --herald.rate-limits.connections-per-ip-per-second=100000 --herald.rate-limits.connections-per-ip-burst=100000 \
  > target/limits-on.log 2>&1 &
ON_PID=$!
java $JVM_OPTS -jar target/herald.jar --server.port=$OFF_PORT $COMMON --herald.rate-limits.enabled=false \
  > target/limits-off.log 2>&1 &
OFF_PID=$!
trap 'kill $ON_PID $OFF_PID 2>/dev/null || true' EXIT

for port in $ON_PORT $OFF_PORT; do
  for _ in $(seq 1 120); do
    curl -sf "http://127.0.0.1:$port/actuator/health" > /dev/null && break
    sleep 0.5
  done
done

CP="load-tests/target/classes:$(./mvnw -q -f load-tests/pom.xml dependency:build-classpath -Dmdep.outputFile=/dev/stdout)"
run() { java -cp "$CP" herald.load.FanoutLoad 127.0.0.1 "$1" "$SUBSCRIBERS" "$RATE" "$SECONDS_PER_RUN" "$2"; }
run $ON_PORT warmup-on > /dev/null
run $OFF_PORT warmup-off > /dev/null
for i in $(seq 1 "$RUNS"); do
  run $ON_PORT limits-on
  run $OFF_PORT limits-off
done
