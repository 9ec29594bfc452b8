#!/usr/bin/env bash
# Builds the Rust core for the iOS app (macOS with Xcode only): static libraries for devices
# (aarch64-apple-ios) and simulators (aarch64-apple-ios-sim + x86_64-apple-ios, merged with
# lipo), packed with the C headers and module map into OffgridKit/OffgridFFI.xcframework, the
# binary target of the OffgridKit Swift package. The Swift sources of the package are
# regenerated from the same sources (and must be committed if they changed).
#
# Environment: PROFILE (default release-mobile; "dev" for a debuggable library).
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(uname -s)" = Darwin ] || { echo "this needs macOS with Xcode" >&2; exit 1; }
profile=${PROFILE:-release-mobile}
dir=$profile
[ "$profile" = dev ] && dir=debug
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
rustup target add "${targets[@]}"
for target in "${targets[@]}"; do
    cargo build --locked --profile "$profile" -p offgrid-ffi --target "$target"
done

sim=target/ios-sim/$dir
mkdir -p "$sim"
lipo -create \
    "target/aarch64-apple-ios-sim/$dir/liboffgrid_ffi.a" \
    "target/x86_64-apple-ios/$dir/liboffgrid_ffi.a" \
    -output "$sim/liboffgrid_ffi.a"

# Swift sources, headers and module map, from the unstripped host build of the same sources.
bindings/generate --update-swift

package=ios/OffgridKit
rm -rf "$package/OffgridFFI.xcframework"
xcodebuild -create-xcframework \
    -library "target/aarch64-apple-ios/$dir/liboffgrid_ffi.a" -headers "$package/Headers" \
    -library "$sim/liboffgrid_ffi.a" -headers "$package/Headers" \
    -output "$package/OffgridFFI.xcframework"
echo "built $package/OffgridFFI.xcframework; add the package $package to the Xcode project"
