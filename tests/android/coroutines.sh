#!/usr/bin/env bash
# Prints the path of a kotlinx-coroutines-core 1.10.2 jar for the JVM tests of
# android/presentation, making it first if needed: the classes are taken from the fat jar of
# PyPI's Kotlin Jupyter kernel (pinned by hash in coroutines.txt), the only registry reachable
# here that carries them. The Android build takes the same version from Maven Central
# (android/gradle/libs.versions.toml).
set -euo pipefail
cd "$(dirname "$0")/../.."
version=1.10.2
out=target/android
jar=$out/kotlinx-coroutines-core-jvm-$version.jar
# A jar made before the stack-trace recovery classes (_COROUTINE/) were taken is made again.
if [ -s "$jar" ] && ! unzip -l "$jar" '_COROUTINE/ArtificialStackFrames.class' >/dev/null 2>&1; then
    rm -f "$jar"
fi
if [ ! -s "$jar" ]; then
    mkdir -p "$out/wheel"
    python3 -m pip download -q --no-deps --require-hashes -r tests/android/coroutines.txt -d "$out/wheel" >&2
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    unzip -q -o "$out"/wheel/kotlin_jupyter_kernel-*.whl 'run_kotlin_kernel/jars/kotlin-jupyter-kernel-*-all.jar' -d "$work"
    fat=$(ls "$work"/run_kotlin_kernel/jars/kotlin-jupyter-kernel-*-all.jar)
    found=$(unzip -p "$fat" META-INF/kotlinx_coroutines_core.version)
    [ "$found" = "$version" ] || { echo "the kernel carries kotlinx.coroutines $found, not $version" >&2; exit 1; }
    mkdir -p "$work/classes"
    unzip -q -o "$fat" 'kotlinx/coroutines/*' '_COROUTINE/*' 'META-INF/kotlinx-coroutines-core.kotlin_module' \
        'META-INF/kotlinx_coroutines_core.version' -d "$work/classes"
    (cd "$work/classes" && jar cf "$OLDPWD/$jar.part" .)
    mv "$jar.part" "$jar"
    rm -rf "$out/wheel"
fi
echo "$jar"
