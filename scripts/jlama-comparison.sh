#!/usr/bin/env bash
# Builds the jlama-comparison module (Maven profile -Pjlama, outside the default build) with a JDK 21+ and runs
# io.github.sdsat.jlama.JlamaComparison: Jlama 0.8.4 (pure-Java Panama kernels) against our ar and one SDSAT
# decoder on the same model folder and HumanEval prompt ids. Nothing is installed into ~/.m2.
#
# Usage: scripts/jlama-comparison.sh [--prompts N] [--tokens N] [--offline] [--no-build] [--test] [-- MAIN_ARGS...]
#        scripts/jlama-comparison.sh --bf16 --model FOLDER [--tokens N] [Bf16SideBySide options...]
#   --prompts N   first N HumanEval prompts (default 82)
#   --tokens N    new tokens per run (default 256)
#   --offline     pass -o to Maven (everything already in ~/.m2)
#   --no-build    run the classes built last time
#   --test        run the module's unit tests (and no sdsat-runtime tests) instead of the comparison
#   --bf16        run io.github.sdsat.jlama.Bf16SideBySide instead: Jlama and our ar on one (BF16) folder, each
#                 engine in processes of its own, alternating (--model, --task/--prompt, --rounds, --runs, ...;
#                 --tokens default 32 there); see jlama-comparison/README.md
#   other arguments go to JlamaComparison: --warmup N, --decoder NAME, --k N, --jlama-threads N, --model F, --out D
# Environment: JLAMA_JAVA_HOME (default /usr/lib/jvm/temurin-25-jdk-amd64), SDSAT_BUILD_SUFFIX (target folder
# suffix, as -Dsdsat.buildSuffix, so parallel builds of one tree do not collide), MAVEN_ARGS (extra Maven options).
set -euo pipefail
cd "$(dirname "$0")/.."

jdk="${JLAMA_JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
suffix="${SDSAT_BUILD_SUFFIX:-}"
prompts=82
tokens=256
tokens_given=false
main_class=io.github.sdsat.jlama.JlamaComparison
offline=()
build=true
test=false
main_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --prompts) prompts="${2:?--prompts needs a number}"; shift 2 ;;
    --tokens) tokens="${2:?--tokens needs a number}"; tokens_given=true; shift 2 ;;
    --bf16) main_class=io.github.sdsat.jlama.Bf16SideBySide; shift ;;
    --offline) offline=(-o); shift ;;
    --no-build) build=false; shift ;;
    --test) test=true; shift ;;
    --) shift; main_args+=("$@"); break ;;
    *) main_args+=("$1"); shift ;;
  esac
done

if [ ! -x "$jdk/bin/java" ]; then
  echo "No JDK at $jdk: set JLAMA_JAVA_HOME to a JDK 21 or later (Jlama needs it)" >&2
  exit 1
fi
feature=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if ! [ "${feature:-0}" -ge 21 ] 2>/dev/null; then
  echo "$jdk is Java ${feature:-?}; Jlama needs 21 or later: set JLAMA_JAVA_HOME" >&2
  exit 1
fi

# DJL must not download or phone home; the main class also sets the system properties, this covers the build too.
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
export JAVA_HOME="$jdk"
# -am builds sdsat-runtime from this tree; its tests must not run here (they are the default build's business), nor
# the formatter check: under the JDK 21+ this build needs, Spotless 3.11 resolves google-java-format 2.0.0 for its
# import cleanup, which a machine that built the project on Java 17 does not hold (an offline run failed on it);
# formatting is checked by the default build.
mvn_common=(-B "${offline[@]}" -Pjlama -pl jlama-comparison -am "-Dsdsat.buildSuffix=$suffix" -Dspotless.check.skip=true)
# shellcheck disable=SC2086 # MAVEN_ARGS is a list of options on purpose
if $test; then
  exec mvn "${mvn_common[@]}" ${MAVEN_ARGS:-} test -Dtest='io.github.sdsat.jlama.*Test' \
    -Dsurefire.failIfNoSpecifiedTests=false
fi
if $build; then
  mvn "${mvn_common[@]}" ${MAVEN_ARGS:-} -q package -DskipTests
fi

target="jlama-comparison/target$suffix"
if [ ! -f "$target/runtime-classpath.txt" ]; then
  echo "No $target/runtime-classpath.txt: build first (run without --no-build)" >&2
  exit 1
fi
# --add-modules: Jlama's kernels (and ours) use the vector API; force_panama: never jlama-native, whose 0.8.4
# kernels gave wrong logits here (docs/DESIGN.md §10); the two access flags only silence JDK 24+ warnings
# about DJL's JNI loading and jctools' sun.misc.Unsafe use.
if [ "$main_class" = io.github.sdsat.jlama.Bf16SideBySide ]; then
  # The driver is small (each engine runs in a child JVM with its own -Xmx); it takes no --prompts.
  size_args=()
  if $tokens_given; then size_args=(--tokens "$tokens"); fi
  exec "$jdk/bin/java" -Xmx512m --add-modules jdk.incubator.vector \
    -cp "$target/classes:$(cat "$target/runtime-classpath.txt")" \
    "$main_class" "${size_args[@]}" "${main_args[@]}"
fi
exec "$jdk/bin/java" --add-modules jdk.incubator.vector \
  --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Djlama.force_panama_tensor_operations=true \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -Dai.djl.offline=true \
  -cp "$target/classes:$(cat "$target/runtime-classpath.txt")" \
  "$main_class" --prompts "$prompts" --tokens "$tokens" "${main_args[@]}"
