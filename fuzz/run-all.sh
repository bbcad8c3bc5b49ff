#!/usr/bin/env bash
# Runs every libFuzzer target listed in fuzz/targets.txt for the seconds its
# line gives (default 50; FUZZ_SECONDS overrides all), one target per core
# at a time: about 2.5 minutes on 2 cores. Each target fuzzes a temporary
# copy of its seed corpus (new inputs go there) plus fuzz/corpus/<target>/
# as a second, read-only directory. Exits non-zero if
# any target is missing or reports a crash, leak, timeout or sanitizer
# finding; the reproducers are kept.
#
# Usage: fuzz/run-all.sh <build-dir>   (a build dir with BROKER_ENABLE_FUZZ=ON)
set -euo pipefail

if [ $# -ne 1 ]; then
  echo "usage: $0 <build-dir>" >&2
  exit 2
fi
build_dir=$1
fuzz_dir=$(cd "$(dirname "$0")" && pwd)
# A line of targets.txt may name a target's own time ("bin_decode 60");
# FUZZ_SECONDS, when set, overrides every target's time.
default_seconds=50
# The build's UBSan is recoverable (see cmake/BrokerSanitizers.cmake): make
# every report abort, so that libFuzzer records it as a crash.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
# Per-input limits: a slow or huge input is a finding too.
timeout_seconds=10
rss_limit_mb=2048

# Runs one target; prints its log tail; returns non-zero on a finding.
run_target() {
  local target=$1 seconds=$2
  local binary="$build_dir/fuzz/$target"
  if [ ! -x "$binary" ]; then
    echo "error: $binary not built (cmake --build $build_dir --target fuzz_all)" >&2
    return 1
  fi
  local seeds="$fuzz_dir/corpus/$target" work
  work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$target.XXXXXX")
  mkdir -p "$work/corpus" "$work/artifacts"
  local corpus_dirs=("$work/corpus")
  if [ -d "$seeds" ]; then
    cp -R "$seeds/." "$work/corpus/"
    corpus_dirs+=("$seeds")
  fi
  if "$binary" -max_total_time="$seconds" -timeout="$timeout_seconds" \
      -rss_limit_mb="$rss_limit_mb" -print_final_stats=1 \
      -artifact_prefix="$work/artifacts/" "${corpus_dirs[@]}" \
      >"$work/log" 2>&1; then
    echo "=== $target: ${seconds}s, no findings"
    tail -n 15 "$work/log"
    rm -rf "$work"
  else
    echo "=== $target: FAILED"
    tail -n 60 "$work/log"
    echo "error: $target failed; log and reproducers in $work" >&2
    return 1
  fi
}

# Up to FUZZ_JOBS targets at a time (default: one per core); each target
# is single-threaded.
max_jobs=${FUZZ_JOBS:-$(nproc)}
declare -A pids=()
failed=()
wait_one() {
  local done_pid="" rc=0
  wait -n -p done_pid "${!pids[@]}" || rc=$?
  [ -n "$done_pid" ] || return 0
  if [ "$rc" -ne 0 ]; then
    failed+=("${pids[$done_pid]}")
  fi
  unset "pids[$done_pid]"
}
while IFS= read -r line || [ -n "$line" ]; do
  read -r target own_seconds _ <<<"${line%%#*}" || true
  [ -z "${target:-}" ] && continue
  seconds=${FUZZ_SECONDS:-${own_seconds:-$default_seconds}}
  while [ ${#pids[@]} -ge "$max_jobs" ]; do
    wait_one
  done
  echo "=== fuzzing $target for ${seconds}s"
  # Each target's output comes out in one piece, when it is done.
  out=$(mktemp)
  (
    rc=0
    run_target "$target" "$seconds" >"$out" 2>&1 || rc=$?
    cat "$out"
    rm -f "$out"
    exit "$rc"
  ) &
  pids[$!]=$target
done <"$fuzz_dir/targets.txt"
while [ ${#pids[@]} -gt 0 ]; do
  wait_one
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzzing failed: ${failed[*]}" >&2
  exit 1
fi
echo "all fuzz targets passed"
