#!/usr/bin/env bash
# The paper-scale measurements of docs/PERFORMANCE.md section 7, in resumable stages: each stage writes its output
# folder and a DONE marker there, and is skipped when the marker exists (delete the folder to measure again).
# Run nothing else on the machine meanwhile (every stage is a timing). One 7B process at a time: each needs ~15 GB.
#
# Usage: scripts/paper-scale-benchmarks.sh --widened FOLDER [--random FOLDER] [--out DIR] [--threads 2] [STAGE...]
#   --widened   the 7B-shaped widening of the embedded SDSAT model (docs/PAPER-SCALE.md section 1 writes it)
#   --random    a random-weight checkpoint with CodeLlama-7B's exact config (RandomCheckpoint --config codellama-7b)
#   --out       where the stages write (default target/paper-scale)
#   STAGE       any of: load costcurve oracle reproduce-sdsat costcurve-random reproduce-other reproduce-small-k
#               jlama (default all whose inputs were given, in this order)
# Needs: `mvn install` done once (sdsat:reproduce runs the installed plugin), Java 17 for the runtime, a JDK 21+ for
# the jlama stage (JLAMA_JAVA_HOME, see scripts/jlama-comparison.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export DJL_OFFLINE=true OPT_OUT_TRACKING=true ALLURE_NO_ANALYTICS=true

widened=""
random=""
out="target/paper-scale"
threads=2
stages=()
while [ $# -gt 0 ]; do
  case "$1" in
    --widened) widened="${2:?--widened needs a folder}"; shift 2 ;;
    --random) random="${2:?--random needs a folder}"; shift 2 ;;
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --threads) threads="${2:?--threads needs a number}"; shift 2 ;;
    -*) echo "unknown option $1 (see the usage at the top of $0)" >&2; exit 2 ;;
    *) stages+=("$1"); shift ;;
  esac
done
if [ -z "$widened" ] || [ ! -f "$widened/config.json" ]; then
  echo "--widened must name the 7B-shaped model folder (with config.json); docs/PAPER-SCALE.md section 1 writes it" >&2
  exit 2
fi
if [ ${#stages[@]} -eq 0 ]; then
  stages=(load costcurve oracle reproduce-sdsat)
  [ -n "$random" ] && stages+=(costcurve-random)
  stages+=(reproduce-other reproduce-small-k jlama)
fi
if [ -n "$random" ] && [ ! -f "$random/config.json" ]; then
  echo "--random $random has no config.json: write it with io.github.sdsat.widen.RandomCheckpoint --config codellama-7b" >&2
  exit 2
fi

# Huge pages for the heap that holds the BF16 tiles (docs/PERFORMANCE.md section 7: 4 KiB pages were slower).
jvm=(-Xmx15g -XX:+UseTransparentHugePages --add-modules jdk.incubator.vector)
classpath_file=target/paper-scale-classpath.txt
mkdir -p "$out" target
out="$(cd "$out" && pwd)" # absolute: sdsat.outputDirectory is resolved by Maven
if [ ! -f "$classpath_file" ]; then
  mvn -B -o -q -pl sdsat-runtime dependency:build-classpath "-Dmdep.outputFile=$PWD/$classpath_file"
fi
cp="sdsat-runtime/target/classes:$(cat "$classpath_file")"
[ -d sdsat-runtime/target/classes ] || mvn -B -o -q -pl sdsat-runtime compile

run_stage() { # name, then the command; output and peak RSS go to $out/name/
  local name="$1"; shift
  local dir="$out/$name"
  if [ -f "$dir/DONE" ]; then echo "== $name: done before ($dir), skipped"; return; fi
  rm -rf "$dir"; mkdir -p "$dir"
  echo "== $name: $(date -u +%FT%TZ) $*" | tee "$dir/command.txt"
  /usr/bin/time -v -o "$dir/time.txt" "$@" > "$dir/output.txt" 2>&1
  date -u +%FT%TZ > "$dir/DONE"
  grep -E "Elapsed|Maximum resident" "$dir/time.txt" | sed 's/^\s*/   /'
}

reproduce_stage() { # stage name, run id, k list, decoders: 3 HumanEval prompts x 64 new tokens, greedy
  MAVEN_OPTS="${jvm[*]}" run_stage "$1" mvn -B -o sdsat:reproduce "-Dsdsat.model=$widened" \
      "-Dsdsat.cpuThreads=$threads" -Dsdsat.datasets=humaneval -Dsdsat.dataLimit=0.02 -Dsdsat.maxNewTokens=64 \
      "-Dsdsat.kList=$3" "-Dsdsat.decoders=$4" -Dsdsat.temperatures=0 -Dsdsat.lineCompletion=false \
      "-Dsdsat.runId=$2" "-Dsdsat.outputDirectory=$out/$1/reports"
}

for stage in "${stages[@]}"; do
  case "$stage" in
    load)
      run_stage load java "${jvm[@]}" "-Dsdsat.cpuThreads=$threads" -cp "$cp" io.github.sdsat.bench.LoadProbe \
          "$widened" --passes 20 ;;
    costcurve)
      run_stage costcurve java "${jvm[@]}" -cp "$cp" io.github.sdsat.bench.CostCurve --models "$widened" \
          --widths 1-8,12,16 --cached 0,512 --rounds 3 --ar-runs 1 --threads "$threads" \
          --json "$out/costcurve/cost-curve.json" ;;
    costcurve-random)
      run_stage costcurve-random java "${jvm[@]}" -cp "$cp" io.github.sdsat.bench.CostCurve --models "$random" \
          --widths 1-8,12,16 --cached 0,512 --rounds 3 --ar-runs 0 --threads "$threads" \
          --json "$out/costcurve-random/cost-curve.json" ;;
    oracle)
      run_stage oracle java "${jvm[@]}" -cp "$cp" io.github.sdsat.bench.OracleBenchmark --model "$widened" \
          --prompts 3 --prompt-length 100 --new-tokens 64 --one-pass-k 3,5 --two-step-k 3,5 --curve-rounds 3 \
          --threads "$threads" --json "$out/oracle/oracle-benchmark.json" ;;
    reproduce-sdsat)
      # SDSAT's two-step decoder and prompt lookup at k = 1, 2, 3, 5.
      reproduce_stage reproduce-sdsat paper-scale-sdsat 1,2,3,5 sdsat,lookup ;;
    reproduce-other)
      # The one-pass SAT decoders and the greedy draft tree at k = 5 (the tree's smallest bundled depth).
      reproduce_stage reproduce-other paper-scale-other 5 sdsat-single-pass,sdsat-chain,sdsat-tree ;;
    reproduce-small-k)
      # The one-pass SAT decoders where their pass is narrow: single-pass k = 1 is 4 rows, (k+1)^2; the chain's
      # 2k+1 rows after a full acceptance; sdsat-lookup (SAT drafts where prompt lookup finds nothing) beside them.
      reproduce_stage reproduce-small-k paper-scale-small-k 1,2 sdsat-single-pass,sdsat-chain,sdsat-lookup ;;
    jlama)
      run_stage jlama scripts/jlama-comparison.sh --offline --bf16 --model "$widened" --prompt "def fibonacci(n):" \
          --tokens 32 --rounds 2 --runs 2 --threads "$threads" --out "$out/jlama/report" ;;
    *) echo "unknown stage $stage (load costcurve costcurve-random oracle reproduce-sdsat reproduce-other" \
            "reproduce-small-k jlama)" >&2
       exit 2 ;;
  esac
done
echo "outputs in $out"
