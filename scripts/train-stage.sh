#!/usr/bin/env bash
# Runs (or continues) one stage of the staged training recipe (docs/TRAINING.md): the Debian-package corpus is
# fetched into CORPUS_CACHE (default ../sdsat-corpus-cache) on first use, the state lives in training/staged, and the
# stage ends after STAGE_MINUTES (default 110) with its state saved. Rerun the same command for the next stage.
# One PyTorch thread: the recipe's losses are reproducible only with the thread count it was started with.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
CORPUS_CACHE=${CORPUS_CACHE:-../sdsat-corpus-cache}
STAGE_MINUTES=${STAGE_MINUTES:-110}
CLASSES=${CLASSES:-sdsat-runtime/target/classes}
[ -d "$CLASSES/io/github/sdsat/train" ] || { echo "$CLASSES has no compiled trainer: run mvn install -DskipTests first" >&2; exit 1; }
mvn -q -pl sdsat-runtime dependency:build-classpath -Dmdep.outputFile="$PWD/target/train-classpath.txt"
exec java -Xmx12g --add-modules jdk.incubator.vector -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 \
    -Dai.djl.pytorch.num_interop_threads=1 -cp "$CLASSES:$(cat target/train-classpath.txt)" \
    io.github.sdsat.train.Trainer --output training/staged --recipe staged --corpus-cache "$CORPUS_CACHE" \
    --stage-minutes "$STAGE_MINUTES"
