#!/usr/bin/env bash
# Cross-node cost of the Redis engine (issue 3). Starts a real redis-server and three nodes on
# loopback: A and B on that Redis, C on the in-memory engine (the single-node reference). Then:
#   1. latency at each rate: subscribers on A ("local") and on B ("remote") side by side, publishers
#      on A; then the same on C alone, with as many subscribers as A and B together (so the load
#      generator reads as many deliveries). A warm-up and RUNS runs each, then a line of medians.
#   2. throughput: backend clients publishing to A through the HTTP API at growing concurrency, one
#      subscriber on A and one on B, with Redis commands and CPU per publication.
# Every step is bounded by `timeout`; everything started here is stopped by PID on exit. Prints one
# JSON line per run or step (and per median); logs go to load-tests/target/cross-node/.
#
# usage: load-tests/cross-node.sh [runs] [seconds] [rates] [subscribers per node per rate] [concurrencies]
#   defaults: 3 runs of 10 s at 1000 and 10000 publications/s, 10 and 1 subscribers per node
#   (20,000 deliveries/s either way: what one load generator on a small machine reads on time),
#   throughput at concurrency 1,2,4,8,16,32,64 for 10 s each.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
SECONDS_PER_RUN=${2:-10}
RATES=${3:-1000,10000}
SUBSCRIBERS=${4:-10,1}
CONCURRENCIES=${5:-1,2,4,8,16,32,64}
PUBLISHERS=8
API_KEY=bench
OUT=load-tests/target/cross-node
mkdir -p "$OUT"

# shellcheck source=load-tests/redis-common.sh
source load-tests/redis-common.sh

# Insecure development mode on loopback: every tokenless client is one user, so lift the
# per-user connection limit; rate limits off (benchmarks only) so that no limiter shapes the load.
NODE_OPTS=(--herald.limits.max-connections-per-user=1000000 --herald.rate-limits.enabled=false
  --herald.limits.connections-per-ip=1000000 --herald.limits.connections-per-node=1000000
  --herald.api.key=$API_KEY --herald.auth.insecure=true)
# One node at a time: three JVMs starting at once on two cores can starve the first Redis handshake
# past its timeout (herald.redis.command-timeout), which fails the start.
PORT_A=$(free_port); start_node a "$PORT_A" --herald.redis.url="redis://127.0.0.1:$REDIS_PORT"
PID_A=${PIDS[-1]}
PORT_B=$(free_port); start_node b "$PORT_B" --herald.redis.url="redis://127.0.0.1:$REDIS_PORT"
PORT_C=$(free_port); start_node c "$PORT_C"

# A run's bound: warm-up and runs, each publishing plus up to 20 s of waiting, plus start-up.
BOUND=$(( (RUNS + 1) * (SECONDS_PER_RUN + 60) + 60 ))
IFS=, read -r -a RATE_LIST <<< "$RATES"
IFS=, read -r -a SUBSCRIBER_LIST <<< "$SUBSCRIBERS"
for i in "${!RATE_LIST[@]}"; do
  rate=${RATE_LIST[$i]}
  subscribers=${SUBSCRIBER_LIST[$i]:-${SUBSCRIBER_LIST[-1]}}
  timeout "$BOUND" java -cp "$CP" herald.load.CrossNodeLatency 127.0.0.1 "$PORT_A" "$PORT_B" \
    "$subscribers" "$rate" "$SECONDS_PER_RUN" "$RUNS" "$PUBLISHERS" "redis-a-to-b"
  timeout "$BOUND" java -cp "$CP" herald.load.CrossNodeLatency 127.0.0.1 "$PORT_C" 0 \
    "$((2 * subscribers))" "$rate" "$SECONDS_PER_RUN" "$RUNS" "$PUBLISHERS" "memory-single-node"
done

STEPS=$(tr -cd , <<< "$CONCURRENCIES" | wc -c)
timeout $(( (STEPS + 2) * (SECONDS_PER_RUN + 60) )) java -cp "$CP" herald.load.CrossNodeThroughput \
  127.0.0.1 "$PORT_A" "$REDIS_PORT" "$SECONDS_PER_RUN" "$CONCURRENCIES" "$PORT_A,$PORT_B" \
  "$API_KEY" "redis-node-a" "$PID_A"
