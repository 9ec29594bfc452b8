#!/usr/bin/env bash
# Builds the Rust core for the Android app: liboffgrid_ffi.so for arm64-v8a, armeabi-v7a and
# x86_64 into app/src/main/jniLibs/<abi>/, and the Kotlin bindings (Android flavour) into
# presentation/src/generated/kotlin/uniffi/ (the presentation module compiles them; the app
# reaches them only through it). Both are build outputs (git-ignored): run this before building the
# app in Android Studio, and again after changing Rust code.
#
# Needs: the Android NDK (ANDROID_NDK_HOME, e.g. $ANDROID_HOME/ndk/27.x), cargo-ndk
# (`cargo install cargo-ndk`), and the Rust targets (added below).
# Environment: ANDROID_MIN_SDK (default 24), PROFILE (default release-mobile; "dev" for
# debuggable libraries).
set -euo pipefail
cd "$(dirname "$0")/.."

app=android/app/src/main
min_sdk=${ANDROID_MIN_SDK:-24}
profile=${PROFILE:-release-mobile}

: "${ANDROID_NDK_HOME:?set ANDROID_NDK_HOME to the NDK folder (Android Studio: SDK Manager > SDK Tools > NDK)}"
command -v cargo-ndk >/dev/null || { echo "cargo-ndk is missing: cargo install cargo-ndk" >&2; exit 1; }
rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android

rm -rf "$app/jniLibs"
cargo ndk --platform "$min_sdk" -t arm64-v8a -t armeabi-v7a -t x86_64 -o "$app/jniLibs" \
    build --locked --profile "$profile" -p offgrid-ffi

# The Kotlin comes from the unstripped host build of the same sources (the stripped Android
# libraries carry no UniFFI metadata).
bindings/generate
generated=android/presentation/src/generated/kotlin
rm -rf "$generated"
mkdir -p "$generated"
cp -R target/bindings/android/uniffi "$generated/"

ls -l "$app"/jniLibs/*/liboffgrid_ffi.so
echo "Kotlin bindings: $generated/uniffi (package uniffi.offgrid_ffi)"
