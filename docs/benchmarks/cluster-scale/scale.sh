#!/usr/bin/env bash
# docs/benchmarks/cluster-scale/scale.sh PARALLELISM EVENTS SEED, against a running
# `./millrace cluster up` with default ports and no job running: a backlog of EVENTS generated
# transactions, then the fraud job submitted fresh (it starts at the consumer group's committed
# offsets, i.e. at the backlog) at PARALLELISM; Scale.java tails fraud.scores (read_committed)
# and prints events/s (by the scores' scoring times, from the 10 % mark to the last score) and
# events per core-second (all scores over the CPU time of the JobManager, TaskManagers and brokers
# from the submit to the last score). Stop the job with --stop-with-savepoint before the next run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here/../../.."
P=$1; N=$2; SEED=$3; B=127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094
D=.millrace/cluster/pids
pids="$(cat $D/jobmanager.pid $D/taskmanager-*.pid $D/kafka-*.pid | tr '\n' ' ')"
./millrace generate fraud --count "$N" --seed "$SEED" --rate max --no-progress -b $B 2>&1 | tail -1
ready="$(mktemp -u)"
out="$(mktemp)"
# shellcheck disable=SC2086
java -cp "ops/cli/target/millrace.jar:ops/cli/target/lib/*" "$here/Scale.java" $B "$N" "$ready" $pids \
  2>/dev/null >"$out" &
tail_pid=$!
while [ ! -f "$ready" ]; do sleep 0.5; done
./millrace pipeline --task fraud --submit http://localhost:8081 --bootstrap-servers $B \
  --parallelism "$P" --checkpoint-interval 10s 2>&1 | head -1
wait $tail_pid
cat "$out"
rm -f "$ready" "$out"
