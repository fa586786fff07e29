#!/bin/bash
# Embedded F32 model AR, separate-process CostCurve protocol: de51c19 (round-4 reference) vs ec3aba2 (slot-major KV) vs main (head-major KV).
CPM=$(cat CLASSPATH_FILE)
CPD=$(cat CLASSPATH_FILE_DE51)
ARGS="--models sdsat --rounds 9 --threads 1 --ar-runs 5"
JVM="--add-modules jdk.incubator.vector"
mkdir -p OUT
run() { echo "=== $1 $(date -u +%T)"; java $JVM -cp "$2" io.github.sdsat.bench.CostCurve $ARGS --json OUT/$1-$round.json 2>&1 | grep -E "Autoregressive"; }
for round in $(seq 1 15); do
  case $((round % 3)) in 1) order="de51 ec3 main";; 2) order="ec3 main de51";; 0) order="main de51 ec3";; esac
  for v in $order; do
    case $v in
      de51) run de51 "WT_DE51C19/sdsat-runtime/target/classes:$CPD";;
      ec3) run ec3 "WT_EC3ABA2/sdsat-runtime/target/classes:$CPM";;
      main) run main "MAIN/sdsat-runtime/target/classes:$CPM";;
    esac
  done
done
echo "=== done $(date -u +%T)"
