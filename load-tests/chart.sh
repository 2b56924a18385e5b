#!/usr/bin/env bash
# Draws fan-out result lines as two PNG charts: latency (p50, p99, p999; log scale) against
# deliveries per second, and the node's CPU per delivery against the same (a second file: out with
# -cpu before .png). One series per percentile and (label, subscribers). Reads files, starts nothing.
#
# usage: load-tests/chart.sh out=<file.png> <file.jsonl>... [label=<regex>] [subs=<n>]
#   e.g. load-tests/chart.sh out=load-tests/results/fanout-latency.png \
#          load-tests/results/fanout-j17.jsonl
#        load-tests/chart.sh out=/tmp/writer.png load-tests/results/writer-ab-j17.jsonl \
#          'label=base|writer' subs=2000
# label= must match the whole label; paths are relative to the directory it is run from.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

(
  cd "$ROOT"
  if [ ! -f load-tests/target/classpath.txt ] || [ load-tests/pom.xml -nt load-tests/target/classpath.txt ]; then
    ./mvnw -q -f load-tests/pom.xml dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
  fi
  ./mvnw -q -f load-tests/pom.xml compile
)
CP="$ROOT/load-tests/target/classes:$(cat "$ROOT/load-tests/target/classpath.txt")"

java -Djava.awt.headless=true -cp "$CP" herald.load.LatencyChart "$@"
