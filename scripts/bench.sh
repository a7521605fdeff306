#!/usr/bin/env bash
# Benchmark render and lint on synthetic estates of N tenants x 4 environments.
#   scripts/bench.sh [N...]        (default: 100 1000)
# Prints, per N: objects, median wall time of 5 runs, peak RSS, objects per second.
# Needs GNU time (/usr/bin/time); no timing is asserted anywhere, this only reports.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1000)
runs=5
cargo build --release --quiet --bin gitops-render --example synthetic_estate
bin="$PWD/target/release/gitops-render"
gen="$PWD/target/release/examples/synthetic_estate"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# median of the wall seconds and the max RSS (KB) over $runs runs of a command
measure() {
  local times=() rss=0 t r
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2>&1 || { echo "failed: $*" >&2; exit 2; }
    read -r t r < "$work/time"
    times+=("$t"); [ "$r" -gt "$rss" ] && rss=$r
  done
  printf '%s %s\n' "$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")" "$rss"
}

printf '%-8s %-8s %10s %12s %10s %14s\n' N step objects "median (s)" "RSS (MB)" "objects/s"
for n in "${sizes[@]}"; do
  estate="$work/estate-$n"
  "$gen" --tenants "$n" --out "$estate" 2> /dev/null
  # A first render writes the tree; the measured renders re-render and compare with it.
  "$bin" render --root "$estate" --no-lint 2> /dev/null
  objects=$(find "$estate/gitops" -name '*.yaml' | wc -l)
  for step in render render+lint lint; do
    case $step in
      render) read -r t rss < <(measure "$bin" render --root "$estate" --no-lint) ;;
      render+lint) read -r t rss < <(measure "$bin" render --root "$estate") ;;
      lint) read -r t rss < <(measure "$bin" lint "$estate/gitops" --root "$work") ;;
    esac
    ops=$(awk -v o="$objects" -v t="$t" 'BEGIN { if (t > 0) printf "%d", o / t; else print "-" }')
    printf '%-8s %-8s %10d %12s %10d %14s\n' "$n" "$step" "$objects" "$t" "$((rss / 1024))" "$ops"
  done
done
