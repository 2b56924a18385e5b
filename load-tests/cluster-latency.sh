#!/usr/bin/env bash
# Publish-to-delivery latency on one Redis against a Redis Cluster of three masters and three
# replicas, and the delivery gap when a master is killed (README "Redis Cluster"). On loopback:
#   1. one redis-server and two nodes A and B on it: RUNS runs of herald.load.ClusterLatency;
#      the two nodes are stopped;
#   2. six redis-server 7 processes made a cluster with redis-cli --cluster create (3 masters + 3
#      replicas, cluster-node-timeout 1000, cluster-require-full-coverage no, explicit cluster bus
#      ports), two nodes on it with
#      herald.redis.cluster=true: RUNS runs, then one failover run in which the first master by port
#      gets SIGKILL (kill -9) KILL_AT s in; 12 channels spread over the three masters by slot.
# Every step is bounded by `timeout`; everything started here is stopped by PID on exit. Prints one
# JSON line per run; logs go to load-tests/target/cluster-latency/.
#
# usage: load-tests/cluster-latency.sh [runs] [seconds] [rate] [channels]
#   defaults: 3 runs of 10 s at 1000 publications/s over 12 channels (after a warm-up each), then a
#   failover run of 20 s with the kill 8 s in.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
SECONDS_PER_RUN=${2:-10}
RATE=${3:-1000}
CHANNELS=${4:-12}
FAILOVER_SECONDS=20
KILL_AT=8
OUT=load-tests/target/cluster-latency
mkdir -p "$OUT"

# shellcheck source=load-tests/redis-common.sh
source load-tests/redis-common.sh
command -v redis-cli > /dev/null || { echo "redis-cli is needed (Debian: apt-get install redis-tools)" >&2; exit 1; }

NODE_OPTS=(--herald.limits.max-connections-per-user=1000000 --herald.rate-limits.enabled=false
  --herald.limits.connections-per-ip=1000000 --herald.limits.connections-per-node=1000000
  --herald.auth.insecure=true)
# A run: warm-up and run, each publishing plus up to 45 s of waiting, plus start-up.
measure() { # label seconds [killPid killAt]
  timeout $(( 2 * ($2 + 60) + 60 )) java -cp "$CP" herald.load.ClusterLatency 127.0.0.1 \
    "$PORT_A" "$PORT_B" "$CHANNELS" "$RATE" "$2" "$1" "${@:3}"
}

# 1. One Redis.
URL="redis://127.0.0.1:$REDIS_PORT"
PORT_A=$(free_port); start_node single-a "$PORT_A" --herald.redis.url="$URL"
NODE_A=${PIDS[-1]}
PORT_B=$(free_port); start_node single-b "$PORT_B" --herald.redis.url="$URL"
NODE_B=${PIDS[-1]}
for i in $(seq "$RUNS"); do measure one-redis "$SECONDS_PER_RUN"; done
stop_pids "$NODE_A" "$NODE_B"

# 2. A Redis Cluster of six processes.
declare -A CLUSTER_PID
SEEDS=()
for i in 1 2 3 4 5 6; do
  port=$(free_port); bus=$(free_port)
  mkdir -p "$WORK/$port"
  "$REDIS_BIN" --port "$port" --bind 127.0.0.1 --cluster-enabled yes \
    --cluster-config-file "$WORK/$port/nodes.conf" --cluster-port "$bus" --cluster-node-timeout 1000 \
    --cluster-replica-validity-factor 0 --cluster-require-full-coverage no \
    --save '' --appendonly no --repl-diskless-sync yes \
    --repl-diskless-sync-delay 0 --dir "$WORK/$port" > "$OUT/redis-$port.log" 2>&1 &
  PIDS+=($!)
  CLUSTER_PID[$port]=$!
  SEEDS+=("127.0.0.1:$port")
done
mapfile -t SEEDS < <(printf '%s\n' "${SEEDS[@]}" | sort -t: -k2 -n)
for seed in "${SEEDS[@]}"; do
  for _ in $(seq 50); do redis-cli -p "${seed#*:}" ping 2> /dev/null | grep -q PONG && break; sleep 0.2; done
done
timeout 60 redis-cli --cluster create "${SEEDS[@]}" --cluster-replicas 1 --cluster-yes > "$OUT/create.log"
for _ in $(seq 150); do
  ok=0
  for seed in "${SEEDS[@]}"; do
    redis-cli -p "${seed#*:}" cluster info | grep -q 'cluster_state:ok' && ok=$((ok + 1))
  done
  [ "$ok" = 6 ] && break
  sleep 0.2
done
URL=$(printf 'redis://%s,' "${SEEDS[@]}"); URL=${URL%,}
PORT_A=$(free_port); start_node cluster-a "$PORT_A" --herald.redis.cluster=true --herald.redis.url="$URL"
PORT_B=$(free_port); start_node cluster-b "$PORT_B" --herald.redis.cluster=true --herald.redis.url="$URL"
for i in $(seq "$RUNS"); do measure cluster-3-masters "$SECONDS_PER_RUN"; done

# 3. The failover: the first master by port gets SIGKILL KILL_AT s into the measured run.
VICTIM=
for seed in "${SEEDS[@]}"; do
  [ "$(redis-cli -p "${seed#*:}" role | head -1)" = master ] && { VICTIM=${seed#*:}; break; }
done
redis-cli -p "$VICTIM" cluster nodes | grep myself >&2
echo "killing master $VICTIM (pid ${CLUSTER_PID[$VICTIM]}) ${KILL_AT} s into the failover run" >&2
measure cluster-failover "$FAILOVER_SECONDS" "${CLUSTER_PID[$VICTIM]}" "$KILL_AT"
