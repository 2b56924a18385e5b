#!/usr/bin/env bash
# Scenario 5, the reconnect storm (issue 5). Starts a real redis-server and NODES Herald nodes on
# loopback, all on that Redis (start-up as in cross-node.sh), then herald.load.ReconnectStorm:
# SUBS WebSocket subscribers on node A, a backend publisher at RATE publications/s on node B, node A
# killed with SIGKILL after WARMUP s; the subscribers reconnect to the survivors with backoff and
# full jitter and resubscribe with `since`. Prints one JSON line. Bounded by `timeout`; everything
# started here is stopped by PID on exit. Logs go to load-tests/target/storm/.
# With VIA=nginx the subscribers connect and reconnect through an nginx in front of every node,
# configured as by local-cluster.sh (nginx-common.sh): they spread over all nodes, and those of
# node A come back to the survivors through it.
#
# usage: load-tests/storm.sh [subs] [nodes] [key=value ...]   (defaults: 2000 subscribers, 3 nodes)
#   extra key=value go to ReconnectStorm, e.g. rate=50 warmup=15 mark=5 base=100 cap=5000
# environment: NODE_OPTS (JVM options of the nodes, default -Xmx1g), NODE_ARGS (extra --key=value
#   settings of every node), HISTORY (history-size of the
#   `storm` namespace, default 10000: it must hold every publication of the outage), TIMEOUT (600 s),
#   VIA (nginx: through a proxy, see above), READY_TIMEOUT (seconds a node may take to start, 120),
#   PARALLEL_START (1: start the nodes together)
set -euo pipefail
cd "$(dirname "$0")/.."
SUBS=${1:-2000}
NODES=${2:-3}
shift $(( $# < 2 ? $# : 2 ))
API_KEY=bench
HISTORY=${HISTORY:-10000}
TIMEOUT=${TIMEOUT:-600}
OUT=load-tests/target/storm
mkdir -p "$OUT"
[ "$NODES" -ge 2 ] || { echo "need at least 2 nodes" >&2; exit 1; }

# shellcheck source=load-tests/redis-common.sh
source load-tests/redis-common.sh

VIA=${VIA:-}
[ -z "$VIA" ] || [ "$VIA" = nginx ] || { echo "VIA=$VIA: only nginx is known" >&2; exit 1; }
[ "$VIA" = nginx ] && TRUST_PROXY=true
# Insecure development mode on loopback: every tokenless client is one user, so lift the
# per-user connection limit; rate limits off, so that a storm of reconnects from one address is
# not refused (the backoff is what spreads it). The history of the `storm` namespace must cover the
# publications made while the subscribers are away.
# shellcheck disable=SC2206
JVM_OPTS=(${NODE_OPTS:--Xmx1g})
ARGS=(--herald.limits.max-connections-per-user=1000000 --herald.rate-limits.enabled=false
  --herald.limits.connections-per-ip=1000000 --herald.limits.connections-per-node=1000000
  --herald.api.key=$API_KEY --herald.auth.insecure=true --herald.namespaces.storm.history-size="$HISTORY"
  --herald.redis.url="redis://127.0.0.1:$REDIS_PORT" --logging.level.root=WARN ${NODE_ARGS:-})
# One node at a time (PARALLEL_START=1: all at once, then wait for each; a node that cannot reach
# Redis yet connects in the background, which saves minutes when other work shares the cores):
# JVMs starting at once on two cores can starve the first Redis handshake.
start_node() { # name port
  local name=$1 port=$2
  HERALD_AUTH_INSECURE=true HERALD_TRUST_PROXY=${TRUST_PROXY:-false} \
    java "${JVM_OPTS[@]}" -jar target/herald.jar --server.port="$port" --herald.node.name="$name" \
    "${ARGS[@]}" > "$OUT/node-$name.log" 2>&1 &
  PIDS+=($!)
  [ "${PARALLEL_START:-0}" = 1 ] || wait_ready "$name" "$port"
}
PORT_A=$(free_port); start_node a "$PORT_A"; PID_A=${PIDS[-1]}
SURVIVOR_PORTS=()
SURVIVOR_PIDS=()
for n in $(seq 2 "$NODES"); do
  name=$(printf "\\x$(printf %x $((96 + n)))")
  port=$(free_port); start_node "$name" "$port"
  SURVIVOR_PORTS+=("$port"); SURVIVOR_PIDS+=("${PIDS[-1]}")
done
if [ "${PARALLEL_START:-0}" = 1 ]; then
  wait_ready a "$PORT_A" "$PID_A"
  for i in "${!SURVIVOR_PORTS[@]}"; do
    wait_ready "$(printf "\\x$(printf %x $((98 + i)))")" "${SURVIVOR_PORTS[$i]}" "${SURVIVOR_PIDS[$i]}"
  done
fi
join() { local IFS=,; echo "$*"; }
PROXY=()
if [ "$VIA" = nginx ]; then
  # shellcheck source=load-tests/nginx-common.sh
  source load-tests/nginx-common.sh
  NGINX_PORT=$(free_port)
  start_nginx "$NGINX_PORT" "$PORT_A" "${SURVIVOR_PORTS[@]}"
  # the workers' PIDs (children of the master), for their CPU
  PROXY=(connectPort="$NGINX_PORT" reconnectPorts="$NGINX_PORT"
    proxyPids="$(join $(cat /proc/"$NGINX_PID"/task/*/children) "$NGINX_PID")")
fi

timeout "$TIMEOUT" java -Xmx256m -cp "$CP" herald.load.ReconnectStorm subs="$SUBS" \
  pidA="$PID_A" portA="$PORT_A" survivorPids="$(join "${SURVIVOR_PIDS[@]}")" \
  survivorPorts="$(join "${SURVIVOR_PORTS[@]}")" publishPort="${SURVIVOR_PORTS[0]}" \
  apiKey=$API_KEY "${PROXY[@]}" "$@"
