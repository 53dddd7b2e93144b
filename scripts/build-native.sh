#!/usr/bin/env bash
# Builds the probe helper native/flowlens-probe.c into native/build/flowlens-probe with the system C compiler
# (see docs/probe-helper.md). Without a compiler it says so and exits 0: the raw probe transport then reports itself
# unavailable and everything else still works. CC and CFLAGS override the compiler and its flags.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/native/flowlens-probe.c"
out_dir="$root/native/build"
cc="${CC:-cc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "build-native: no C compiler ($cc) found; the raw probe transport will be unavailable" >&2
  exit 0
fi
if [ "$(uname -s)" != "Linux" ]; then
  echo "build-native: the probe helper needs Linux; the raw probe transport will be unavailable" >&2
  exit 0
fi
mkdir -p "$out_dir"
# shellcheck disable=SC2086
"$cc" ${CFLAGS:--Wall -Wextra -O2} -o "$out_dir/flowlens-probe.tmp" "$src"
mv -f "$out_dir/flowlens-probe.tmp" "$out_dir/flowlens-probe"
echo "build-native: built $out_dir/flowlens-probe"
