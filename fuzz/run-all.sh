#!/usr/bin/env bash
# Runs every libFuzzer target listed in fuzz/targets.txt for $FUZZ_SECONDS
# seconds each (default 50: five targets take about 5 minutes). Each target
# fuzzes a temporary copy of its seed corpus (new inputs go there) plus
# fuzz/corpus/<target>/ as a second, read-only directory. Exits non-zero if
# any target is missing or reports a crash, leak, timeout or sanitizer
# finding; the reproducers are kept.
#
# Usage: fuzz/run-all.sh <build-dir>   (the build dir of BROKER_ENABLE_FUZZ=ON)
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 <build-dir>" >&2
  exit 2
fi
build_dir=$1
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
seconds=${FUZZ_SECONDS:-50}
# Per-input limits: a slow or huge input is a finding too.
timeout_seconds=10
rss_limit_mb=2048

failed=()
while IFS= read -r line || [ -n "$line" ]; do
  target=$(echo "${line%%#*}" | tr -d '[:space:]')
  [ -z "$target" ] && continue
  binary="$build_dir/fuzz/$target"
  if [ ! -x "$binary" ]; then
    echo "error: $binary not built (cmake --build $build_dir --target fuzz_all)" >&2
    failed+=("$target (not built)")
    continue
  fi
  seeds="$fuzz_dir/corpus/$target"
  work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$target.XXXXXX")
  mkdir -p "$work/corpus" "$work/artifacts"
  corpus_dirs=("$work/corpus")
  if [ -d "$seeds" ]; then
    cp -R "$seeds/." "$work/corpus/"
    corpus_dirs+=("$seeds")
  fi
  echo "=== fuzzing $target for ${seconds}s"
  if "$binary" -max_total_time="$seconds" -timeout="$timeout_seconds" \
      -rss_limit_mb="$rss_limit_mb" -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" "${corpus_dirs[@]}" \
      >"$work/log" 2>&1; then
    tail -n 15 "$work/log"
    rm -rf "$work"
  else
    tail -n 60 "$work/log"
    echo "error: $target failed; log and reproducers in $work" >&2
    failed+=("$target")
  fi
done <"$fuzz_dir/targets.txt"

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzzing failed: ${failed[*]}" >&2
  exit 1
fi
echo "all fuzz targets passed"
