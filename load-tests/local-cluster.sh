#!/usr/bin/env bash
# A local Herald cluster for anyone (README, "A local cluster"): a redis-server, NODES Herald nodes
# (target/herald.jar) on that Redis and an nginx in front of them configured as the Kubernetes
# Ingress would be (cookie affinity, WebSocket upgrade, SSE unbuffered, X-Forwarded-For; see
# nginx-common.sh). Everything listens on 127.0.0.1 only. Prints the URL once every node is ready,
# then runs until Ctrl-C (or SIGTERM) or until the time given with --for has passed, and stops
# everything it started by PID. Logs go to load-tests/target/local-cluster/.
#
# usage: load-tests/local-cluster.sh [--for 30m] [--port 8080] [--nodes 3] [--insecure] [-- --herald.x=y ...]
#   --for DURATION  how long to run: 90s, 30m, 2h or seconds (default 30m, at most 24h)
#   --port PORT     nginx's port on 127.0.0.1 (default 8080; 0 picks a free one)
#   --nodes N       Herald nodes, 1 to 9 (default 3)
#   --insecure      development mode (HERALD_AUTH_INSECURE=true: no token checks); otherwise tokens
#                   are checked with HERALD_AUTH_HMAC_SECRET from the environment, or a secret made
#                   up for this run and printed
#   -- ...          further settings for every node, e.g. -- --herald.namespaces.chat.client-publish=true
# environment: HERALD_AUTH_HMAC_SECRET, HERALD_API_KEY (else made up and printed), NODE_OPTS (JVM
#   options of each node, default -Xmx512m), NGINX_WORKERS (default 2), STOP_GRACE (seconds a
#   process gets after SIGTERM before SIGKILL, default 30), READY_TIMEOUT (seconds a node may take
#   to become ready, default 300)
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '/^# usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }
fail() { echo "local-cluster: $*" >&2; exit 2; }

FOR=30m
PORT=8080
NODES=3
INSECURE=false
NODE_SETTINGS=()
while [ $# -gt 0 ]; do
  case $1 in
    --for) FOR=${2:?--for needs a duration}; shift 2 ;;
    --port) PORT=${2:?--port needs a port}; shift 2 ;;
    --nodes) NODES=${2:?--nodes needs a number}; shift 2 ;;
    --insecure) INSECURE=true; shift ;;
    --help|-h) usage 0 ;;
    --) shift; NODE_SETTINGS=("$@"); break ;;
    *) echo "local-cluster: unknown option $1" >&2; usage ;;
  esac
done

# --for: a bounded run, whatever is given
case $FOR in
  *[0-9]s) RUN_SECONDS=${FOR%s} ;;
  *[0-9]m) RUN_SECONDS=$(( ${FOR%m} * 60 )) ;;
  *[0-9]h) RUN_SECONDS=$(( ${FOR%h} * 3600 )) ;;
  *) RUN_SECONDS=$FOR ;;
esac
[[ $RUN_SECONDS =~ ^[0-9]+$ ]] && [ "$RUN_SECONDS" -ge 1 ] && [ "$RUN_SECONDS" -le 86400 ] ||
  fail "--for $FOR: give 1s to 24h, e.g. 90s, 30m, 2h"
[[ $NODES =~ ^[1-9]$ ]] || fail "--nodes $NODES: give 1 to 9"
[[ $PORT =~ ^[0-9]+$ ]] && [ "$PORT" -le 65535 ] || fail "--port $PORT is not a port"
command -v java > /dev/null || fail "java is missing: install Java 17 or newer"
command -v curl > /dev/null || fail "curl is missing (it checks that the nodes are ready): install curl"

if [ "$INSECURE" = true ]; then
  AUTH_ENV=(HERALD_AUTH_INSECURE=true)
  AUTH_NOTE="development mode (HERALD_AUTH_INSECURE=true): tokens are not checked"
elif [ -n "${HERALD_AUTH_HMAC_SECRET:-}" ]; then
  [ "${#HERALD_AUTH_HMAC_SECRET}" -ge 32 ] || fail "HERALD_AUTH_HMAC_SECRET must be at least 32 bytes"
  AUTH_ENV=(HERALD_AUTH_HMAC_SECRET="$HERALD_AUTH_HMAC_SECRET")
  AUTH_NOTE="HS256 tokens signed with HERALD_AUTH_HMAC_SECRET from your environment"
else
  SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '/+=' | head -c 40)
  AUTH_ENV=(HERALD_AUTH_HMAC_SECRET="$SECRET")
  AUTH_NOTE="HS256 tokens signed with the secret made up for this run: $SECRET"
fi
API_KEY=${HERALD_API_KEY:-$(head -c 18 /dev/urandom | base64 | tr -d '/+=')}

if [ "$PORT" != 0 ] && (exec 3<> "/dev/tcp/127.0.0.1/$PORT") 2> /dev/null; then
  fail "127.0.0.1:$PORT is in use: choose another with --port (0 picks a free one)"
fi

OUT=load-tests/target/local-cluster
mkdir -p "$OUT"
rm -f "$OUT"/node-*.log "$OUT"/nginx-*.log "$OUT/cluster.env"
LOAD_TOOLS=0 # only Redis and the node's jar; the load tools are not needed here
READY_TIMEOUT=${READY_TIMEOUT:-300}
# shellcheck source=load-tests/redis-common.sh
source load-tests/redis-common.sh
# shellcheck source=load-tests/nginx-common.sh
source load-tests/nginx-common.sh
require_nginx # before the nodes: it may have to be installed
# Ctrl-C and SIGTERM end the script through its EXIT trap: cleanup (redis-common.sh) stops nginx
# and the nodes by PID, then Redis, and removes the temporary directory.
trap 'rm -f "$OUT/cluster.env"; cleanup' EXIT
trap 'echo; echo "stopping (Ctrl-C)"; exit 130' INT
trap 'echo "stopping (SIGTERM)"; exit 143' TERM
[ "$PORT" = 0 ] && PORT=$(free_port)

# shellcheck disable=SC2206
JVM_OPTS=(${NODE_OPTS:--Xmx512m})
NAMES=()
NODE_PORTS=()
NODE_PIDS=()
# All nodes at once (a node that cannot reach Redis yet starts anyway and connects in the
# background), then wait for each to be ready.
for n in $(seq 1 "$NODES"); do
  name=$(printf "\\x$(printf %x $((96 + n)))") # a, b, c, ...
  port=$(free_port)
  env "${AUTH_ENV[@]}" HERALD_API_KEY="$API_KEY" HERALD_REDIS_URL="redis://127.0.0.1:$REDIS_PORT" \
    HERALD_TRUST_PROXY=true \
    java "${JVM_OPTS[@]}" -jar target/herald.jar --server.address=127.0.0.1 --server.port="$port" \
    --herald.node.name="$name" "${NODE_SETTINGS[@]}" > "$OUT/node-$name.log" 2>&1 &
  PIDS+=($!)
  echo "starting node $name on 127.0.0.1:$port (pid $!)"
  NAMES+=("$name"); NODE_PORTS+=("$port"); NODE_PIDS+=("${PIDS[-1]}")
done
for i in "${!NAMES[@]}"; do
  wait_ready "${NAMES[$i]}" "${NODE_PORTS[$i]}" "${NODE_PIDS[$i]}"
done
start_nginx "$PORT" "${NODE_PORTS[@]}"

URL="http://127.0.0.1:$PORT"
END=$((SECONDS + RUN_SECONDS))
{
  echo "URL=$URL"
  echo "NGINX_PORT=$PORT"
  echo "NGINX_PID=$NGINX_PID"
  echo "REDIS_PORT=$REDIS_PORT"
  echo "NODE_NAMES=(${NAMES[*]})"
  echo "NODE_PORTS=(${NODE_PORTS[*]})"
  echo "NODE_PIDS=(${NODE_PIDS[*]})"
} > "$OUT/cluster.env"
cat << EOF

Herald local cluster ready: $NODES node(s) on Redis 127.0.0.1:$REDIS_PORT behind nginx

  URL         $URL/   (WebSocket ws://127.0.0.1:$PORT/ws, SSE $URL/sse?channel=...)
  API key     $API_KEY   (backends: POST $URL/api/v1/publish with X-API-Key)
  auth        $AUTH_NOTE
EOF
for i in "${!NAMES[@]}"; do
  echo "  node ${NAMES[$i]}      http://127.0.0.1:${NODE_PORTS[$i]}  pid ${NODE_PIDS[$i]}  (health, metrics: /actuator/...)"
done
cat << EOF
  nginx       pid $NGINX_PID, $NGINX_WORKERS worker(s) x $NGINX_WORKER_CONNECTIONS connections (a client takes two)
  logs        $OUT/   (ports and PIDs also in $OUT/cluster.env)

Stops on Ctrl-C, or by itself in $FOR (at $(date -d "+$RUN_SECONDS seconds" +%H:%M:%S)).
Kill a node (kill <pid>) to watch its clients move to the others through nginx.
EOF

# Wait, saying when a node ends (its clients then move to the others); without nginx or Redis the
# cluster is of no use, so stop.
declare -A ENDED=()
while [ "$SECONDS" -lt "$END" ]; do
  sleep 1 &
  wait $! || true
  for i in "${!NODE_PIDS[@]}"; do
    if [ -z "${ENDED[$i]:-}" ] && ! kill -0 "${NODE_PIDS[$i]}" 2> /dev/null; then
      ENDED[$i]=1
      echo "$(date +%H:%M:%S) node ${NAMES[$i]} (pid ${NODE_PIDS[$i]}) has stopped: nginx sends its clients" \
        "to the others; see $OUT/node-${NAMES[$i]}.log"
    fi
  done
  kill -0 "$NGINX_PID" 2> /dev/null || { echo "nginx stopped; see $OUT/nginx-error.log" >&2; exit 1; }
  kill -0 "${PIDS[0]}" 2> /dev/null || { echo "redis-server stopped; see $OUT/redis.log" >&2; exit 1; }
done
echo "$(date +%H:%M:%S) $FOR have passed: stopping"
