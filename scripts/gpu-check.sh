#!/usr/bin/env bash
# The GPU check (docs/gpu-check.md), in two halves.
#
#   scripts/gpu-check.sh package [DIR]   here, after `mvn install -DskipTests`: builds DIR (default
#                                        target/gpu-check) = a jlink'ed JRE, the runtime's jars without PyTorch's CPU
#                                        natives, the embedded sdsat model, and run.sh; then DIR.tar.xz, which must
#                                        stay under 64 MiB (what the GPU machine accepts).
#   DIR/run.sh [GpuCheck args]           on the GPU machine (no network, no Java, no Maven; PyTorch with CUDA in its
#                                        python3): points DJL at that torch's libraries and runs GpuCheck on 20
#                                        HumanEval prompts: greedy equivalence and AR vs two-step vs single-pass vs
#                                        lookup, one summary. Prints what failed, exactly, when DJL cannot load it.
#
# Dry run on a CPU machine: package, then DIR/run.sh --device cpu with PYTORCH_LIBRARY_PATH pointing at a CPU
# libtorch 2.7.1 (for example DJL's cache, ~/.djl.ai/pytorch/2.7.1-*-cpu-linux-x86_64) and PYTORCH_FLAVOR=cpu.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
[ "$mode" = package ] || { echo "usage: scripts/gpu-check.sh package [DIR]" >&2; exit 2; }
out=${2:-target/gpu-check}
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
version=$(sed -n 's|^  <version>\(.*\)</version>|\1|p' pom.xml | head -1)
runtime_jar=sdsat-runtime/target/sdsat-runtime-$version.jar
[ -f "$runtime_jar" ] || { echo "$runtime_jar is missing: run mvn install -DskipTests first" >&2; exit 1; }

rm -rf "$out" "$out.tar.xz"
mkdir -p "$out/lib" "$out/model"
# The runtime's dependencies as the GPU machine needs them: -Dsdsat.cuda leaves pytorch-native-cpu out.
mvn -q -o -pl sdsat-runtime dependency:copy-dependencies -Dsdsat.cuda -DincludeScope=runtime \
    -DoutputDirectory="$PWD/$out/lib"
cp "$runtime_jar" "$out/lib/"
# Keep only linux-x86_64 natives (the jars carry every platform's).
for jar in "$out"/lib/tokenizers-*.jar "$out"/lib/pytorch-jni-*.jar; do
    names=$(unzip -Z1 "$jar" | grep -E '^(native/lib|jnilib)/' | grep -vE 'linux-x86_64|/$|\.properties$' || true)
    [ -z "$names" ] || printf '%s\n' "$names" | xargs zip -q -d "$jar"
done
# The model travels as a folder; the jar keeps neither embedded model.
zip -q -d "$out/lib/sdsat-runtime-$version.jar" 'io/github/sdsat/models/*'
cp -r sdsat-runtime/src/main/resources/io/github/sdsat/models/sdsat "$out/model/"
# A JRE with the modules the check loads (jdeps on the jars, plus the vector API and JMX for GPU memory).
modules=java.base,java.logging,java.management,java.naming,java.sql,java.xml,jdk.unsupported,jdk.incubator.vector
jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$out/jre" \
    2>/dev/null
cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# On the GPU machine: the Python torch's libraries for DJL, then GpuCheck (arguments pass through).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
if [ -z "${PYTORCH_LIBRARY_PATH:-}" ]; then
    eval "$(python3 - <<'PY'
import os, torch
cuda = torch.version.cuda
print("export PYTORCH_LIBRARY_PATH=" + os.path.join(os.path.dirname(torch.__file__), "lib"))
print("export PYTORCH_VERSION=" + torch.__version__.split("+")[0])
print("export PYTORCH_FLAVOR=" + ("cu" + cuda.replace(".", "") if cuda else "cpu"))
print("echo torch " + torch.__version__ + " cuda " + str(cuda) + " gpus " + str(torch.cuda.device_count()))
PY
)" || { echo "gpu-check: python3 has no torch: set PYTORCH_LIBRARY_PATH, PYTORCH_VERSION, PYTORCH_FLAVOR" >&2; exit 3; }
fi
echo "gpu-check: PYTORCH_LIBRARY_PATH=$PYTORCH_LIBRARY_PATH PYTORCH_VERSION=${PYTORCH_VERSION:-} PYTORCH_FLAVOR=${PYTORCH_FLAVOR:-}"
exec "$here/jre/bin/java" --add-modules jdk.incubator.vector -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 ${GPU_CHECK_JAVA_OPTS:-} \
    -Duser.home="$here/home" -cp "$here/lib/*" io.github.sdsat.bench.GpuCheck --model "$here/model/sdsat" "$@"
RUN
chmod +x "$out/run.sh"
tar -C "$(dirname "$out")" -cJf "$out.tar.xz" "$(basename "$out")"
size=$(stat -c %s "$out.tar.xz")
echo "gpu-check bundle: $out ($(du -sh "$out" | cut -f1) unpacked), $out.tar.xz $((size / 1024 / 1024)) MiB"
[ "$size" -le $((64 * 1024 * 1024)) ] || { echo "the bundle is over 64 MiB" >&2; exit 1; }
