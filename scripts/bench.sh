#!/usr/bin/env bash
# Benchmark render, lint, diff and the Argo CD plugin on synthetic estates of N tenants x 4
# environments.
#   scripts/bench.sh [N...]        (default: 100 1000 10000; RUNS=5 runs per step)
# Prints, per N and step: objects, median wall time of $RUNS runs, peak RSS, objects per second.
# A CI checkout is measured both without a stat index and as a Git checkout (Git's index
# staged by `git update-index --info-only`), the latter in turn with `git status` of it.
# The paths users wait on come with their reference in the same run: a fresh render (no tree,
# no index) against `tar x` of the same tree, one environment as a stream (`cmp generate`)
# against `helm template` of one environment of the equivalent chart.
# When the peer tools of ../shared/bench/install_peers.sh are installed ($PEERS, default
# ~/.cache/peers), the same run times them on the equivalent estate of
# ../shared/bench/gen_peer_estate.py (helm template; kubectl kustomize up to N=100, it is
# superlinear; kubeconform -strict when on PATH or in $PEERS/bin) and prints the ratios of
# objects per second. Needs GNU time (/usr/bin/time) and python3; no timing is asserted
# anywhere, this only reports.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100 1000 10000)
runs=${RUNS:-5}
cargo build --release --quiet --bin gitops-render --example synthetic_estate
bin="$PWD/target/release/gitops-render"
gen="$PWD/target/release/examples/synthetic_estate"
peers=${PEERS:-$HOME/.cache/peers}
peer_gen="$PWD/../shared/bench/gen_peer_estate.py"
kubeconform=$(command -v kubeconform || echo "$peers/bin/kubeconform")
# kubeconform's reference rate on this machine class (../shared/bench/README.md), used for
# the lint ratio only when kubeconform itself is not installed.
kubeconform_ref=7000
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One run: wall seconds and max RSS (KB); exit codes above $1 fail the bench.
once() {
  local ok=$1 code; shift
  set +e
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > /dev/null 2>&1
  code=$?
  set -e
  [ "$code" -le "$ok" ] || { echo "failed ($code): $*" >&2; exit 2; }
  tail -n 1 "$work/time"
}

# The median time and the largest RSS of the "seconds KB" lines on stdin.
summary() {
  sort -n | awk '{ t[NR] = $1; if ($2 > r) r = $2 } END { print t[int((NR + 1) / 2)], r + 0 }'
}

# Median wall seconds and max RSS (KB) over $runs runs; exit codes above $ok fail the bench.
measure() {
  local ok=$1; shift
  for _ in $(seq "$runs"); do once "$ok" "$@"; done | summary
}

# Commands whose figures are compared are run in turn, run after run (A B A B ...), so that
# what the machine does meanwhile (other jobs, the kernel writing back or freeing inodes)
# falls on both alike. Each run of `alternate TAG OK CMD...` appends a line to $work/TAG.runs.
alternate() {
  local tag=$1; shift
  once "$@" >> "$work/$tag.runs"
}
# The median and RSS of what `alternate` recorded under TAG.
alternated() { summary < "$work/$1.runs"; rm -f "$work/$1.runs"; }

row() { # N step objects seconds rss_kb
  local ops
  ops=$(awk -v o="$3" -v t="$4" 'BEGIN { if (t > 0) printf "%d", o / t; else print "-" }')
  printf '%-7s %-21s %9d %11s %9d %12s\n' "$1" "$2" "$3" "$4" "$(($5 / 1024))" "$ops"
}

ratio() { # N what ours_objects ours_seconds peer_objects peer_seconds peer_name
  awk -v o="$3" -v t="$4" -v po="$5" -v pt="$6" -v n="$1" -v what="$2" -v peer="$7" \
    'BEGIN { printf "%-7s %-21s %s: %.1fx the objects/s of %s\n", n, "ratio", what, (o / t) / (po / pt), peer }'
}

# Fresh render (without and with lint) of ESTATE's tree into new folders under $work/fresh,
# `tar x` of the same tree into another, and the creation of its folders alone (`mkdir`);
# run in turn, then their rows and the ratio; needs $n and $objects.
#   fresh_rows ESTATE LABEL_NO_LINT LABEL_LINT LABEL_TAR LABEL_FOLDERS RATIO_WHAT
fresh_rows() {
  local estate=$1 t rss fresh_t tarball folders
  tarball=$(mktemp -u "$work/tree.XXXXXX.tar")
  tar -C "$estate" -cf "$tarball" --exclude .gitops-render-cache gitops
  folders="$tarball.folders"
  (cd "$estate" && find gitops -type d -not -path '*/.gitops-render-cache*' -print0) > "$folders"
  for _ in $(seq "$runs"); do
    alternate fresh 0 sh -c '"$2" render --root "$1" --out "$(mktemp -d -u "$3/r.XXXXXX")" --no-lint' sh "$estate" "$bin" "$work/fresh"
    alternate fresh-lint 0 sh -c '"$2" render --root "$1" --out "$(mktemp -d -u "$3/l.XXXXXX")"' sh "$estate" "$bin" "$work/fresh"
    alternate tar 0 sh -c 'd=$(mktemp -d "$2/t.XXXXXX") && tar -C "$d" -xf "$1"' sh "$tarball" "$work/fresh"
    alternate folders 0 sh -c 'd=$(mktemp -d "$2/m.XXXXXX") && cd "$d" && xargs -0 mkdir -p < "$1"' sh "$folders" "$work/fresh"
  done
  read -r t rss < <(alternated fresh)
  row "$n" "$2" "$objects" "$t" "$rss"
  fresh_t=$t
  read -r t rss < <(alternated fresh-lint)
  row "$n" "$3" "$objects" "$t" "$rss"
  read -r t rss < <(alternated tar)
  row "$n" "$4" "$objects" "$t" "$rss"
  awk -v a="$fresh_t" -v b="$t" -v n="$n" -v what="$6" 'BEGIN { printf "%-7s %-21s %s: %.2fx the time of tar x of the same tree\n", n, "ratio", what, a / b }'
  # The tree's folders alone: what any writer of this tree pays before its first file.
  read -r t rss < <(alternated folders)
  row "$n" "$5" "$(tr -cd '\0' < "$folders" | wc -c)" "$t" "$rss"
}

# Stage ESTATE's tree in a new Git index, as a clone's checkout leaves it (stat and object
# name of each file; --info-only writes no objects), for the renders of a CI checkout.
git_index() {
  rm -rf "$1/.git"
  git -C "$1" init -q
  (cd "$1" && find gitops -type f -not -path '*/.gitops-render-cache/*' -print0 |
    git update-index --add --info-only -z --stdin)
}

printf '%-7s %-21s %9s %11s %9s %12s\n' N step objects "median (s)" "RSS (MB)" "objects/s"
for n in "${sizes[@]}"; do
  estate="$work/estate-$n"
  "$gen" --tenants "$n" --out "$estate" 2> /dev/null
  # A first render writes the tree; the measured renders re-render and compare with it, once
  # it is on disk (at N = 10,000 the kernel is still writing 3.5 GB back for a while, which
  # slowed the first steps measured meanwhile by about a tenth). The stat index records a
  # file two seconds after it was written: render once to record them, so the measured
  # renders are those of an unchanged estate.
  "$bin" render --root "$estate" --no-lint 2> /dev/null
  objects=$(find "$estate/gitops" -name '*.yaml' | wc -l)
  sync
  sleep 2
  "$bin" render --root "$estate" --no-lint 2> /dev/null
  read -r t rss < <(measure 0 "$bin" render --root "$estate" --no-lint); row "$n" render "$objects" "$t" "$rss"
  render_t=$t
  # As on a fresh checkout (CI): no stat index, every file read and compared.
  read -r t rss < <(measure 0 sh -c 'rm -rf "$1/gitops/.gitops-render-cache" && "$2" render --root "$1" --no-lint' sh "$estate" "$bin")
  row "$n" "render, no index" "$objects" "$t" "$rss"
  cold_t=$t
  "$bin" render --root "$estate" --no-lint 2> /dev/null
  read -r t rss < <(measure 0 "$bin" render --root "$estate"); row "$n" render+lint "$objects" "$t" "$rss"
  # The default render on a fresh checkout of the estate and its tree (CI): lint, no index.
  read -r t rss < <(measure 0 sh -c 'rm -rf "$1/gitops/.gitops-render-cache" && "$2" render --root "$1"' sh "$estate" "$bin")
  row "$n" "render+lint, no index" "$objects" "$t" "$rss"
  # A CI checkout is a Git checkout: no stat index, but Git's index vouches for the files
  # whose stat it recorded (src/tree/checkout.rs).
  git_index "$estate"
  read -r t rss < <(measure 0 sh -c 'rm -rf "$1/gitops/.gitops-render-cache" && "$2" render --root "$1" --no-lint' sh "$estate" "$bin")
  row "$n" "render, git checkout" "$objects" "$t" "$rss"
  git_t=$t
  # In turn with `git status` of the same checkout: what Git itself needs to tell that the
  # files are those of its index (a stat of every file, a listing of every folder), the
  # floor of this path. --no-optional-locks: it leaves the index as it found it.
  for _ in $(seq "$runs"); do
    alternate git-lint 0 sh -c 'rm -rf "$1/gitops/.gitops-render-cache" && "$2" render --root "$1"' sh "$estate" "$bin"
    alternate git-status 0 git -C "$estate" --no-optional-locks status --porcelain --untracked-files=all gitops
  done
  read -r t rss < <(alternated git-lint)
  row "$n" "render+lint, git ch." "$objects" "$t" "$rss"
  git_lint_t=$t
  read -r t rss < <(alternated git-status)
  row "$n" "floor: git status" "$objects" "$t" "$rss"
  awk -v a="$git_lint_t" -v b="$t" -v n="$n" 'BEGIN { if (b > 0) printf "%-7s %-21s render+lint, git ch.: %.2fx the time of git status of the same checkout\n", n, "ratio", a / b }'
  rm -rf "$estate/.git"
  # As CI runs it: the tree with the estate's lint settings (waivers, severities).
  read -r t rss < <(measure 1 "$bin" lint "$estate/gitops" --root "$estate"); row "$n" lint "$objects" "$t" "$rss"
  lint_t=$t
  # Paths that do all the work, side by side with their floor or peer below:
  # a fresh render into a folder that does not exist (a CI checkout without the tree), and
  # the same tree unpacked by `tar x` (what writing these files costs the file system).
  # Every run writes into a folder that does not exist and nothing is deleted in between:
  # this machine class's ext4 has no journal, and there each new inode skips the inodes
  # freed in the last 60 s (360 s while their table block is unwritten), so creating files
  # or folders right after a tree was deleted costs several times more
  # (docs/performance.md). Run every size in one invocation, or wait six minutes after
  # deleting a tree.
  mkdir -p "$work/fresh"
  fresh_rows "$estate" "fresh render" "fresh render+lint" "floor: tar x" "floor: mkdir folders" "fresh render"
  # The same estate with `repo.layout: file-per-app` (one manifest.yaml per application
  # folder): the same objects in far fewer files.
  app="$work/estate-$n-app"
  mkdir -p "$app"
  cp -r "$estate/environments" "$estate/policy-packs" "$estate/templates" "$app/"
  sed -i 's/targetRevision: \([^,}]*\)}/targetRevision: \1, layout: file-per-app}/' "$app"/environments/*.yaml
  "$bin" render --root "$app" --no-lint 2> /dev/null
  app_files=$(find "$app/gitops" -name '*.yaml' -not -path '*/.gitops-render-cache/*' | wc -l)
  printf '%-7s %-21s %d files for %d objects (file-per-object: %d files)\n' "$n" "file-per-app" "$app_files" "$objects" "$objects"
  sync
  sleep 2
  "$bin" render --root "$app" --no-lint 2> /dev/null
  read -r t rss < <(measure 0 "$bin" render --root "$app" --no-lint); row "$n" "app: render" "$objects" "$t" "$rss"
  read -r t rss < <(measure 0 sh -c 'rm -rf "$1/gitops/.gitops-render-cache" && "$2" render --root "$1" --no-lint' sh "$app" "$bin")
  row "$n" "app: no index" "$objects" "$t" "$rss"
  git_index "$app"
  read -r t rss < <(measure 0 sh -c 'rm -rf "$1/gitops/.gitops-render-cache" && "$2" render --root "$1" --no-lint' sh "$app" "$bin")
  row "$n" "app: git checkout" "$objects" "$t" "$rss"
  rm -rf "$app/.git"
  "$bin" render --root "$app" --no-lint 2> /dev/null
  read -r t rss < <(measure 0 "$bin" render --root "$app"); row "$n" "app: render+lint" "$objects" "$t" "$rss"
  fresh_rows "$app" "app: fresh render" "app: fresh+lint" "app: tar x" "app: mkdir folders" "app: fresh render"
  # One environment as a stream (what the Argo CD plugin serves an environment-wide
  # Application): objects and bytes per second, run in turn with `helm template` of one
  # environment of the equivalent chart (its row and the ratios below).
  have_helm=0
  if [ -x "$peers/bin/helm" ] && [ -f "$peer_gen" ]; then
    have_helm=1
    pe="$work/peer-$n"
    python3 "$peer_gen" gen "$n" --out "$pe" > /dev/null
  fi
  stream_objects=$(cd "$estate" && ARGOCD_ENV_ENVIRONMENT=prod "$bin" cmp generate 2> /dev/null | grep -c '^kind: ')
  stream_bytes=$(cd "$estate" && ARGOCD_ENV_ENVIRONMENT=prod "$bin" cmp generate 2> /dev/null | wc -c)
  for _ in $(seq "$runs"); do
    alternate stream 0 sh -c 'cd "$1" && ARGOCD_ENV_ENVIRONMENT=prod "$2" cmp generate' sh "$estate" "$bin"
    [ "$have_helm" = 0 ] || alternate helm 0 "$peers/bin/helm" template estate "$pe/chart" -f "$pe/chart/values-prod.yaml"
  done
  read -r t rss < <(alternated stream)
  row "$n" "stream (1 env)" "$stream_objects" "$t" "$rss"
  stream_t=$t
  # The Argo CD plugin: one tenant's Application (the middle team, prod), as the repo-server
  # runs it (from the estate directory, parameters in the environment).
  tenant=$(printf 'team-%05d' $((n / 2)))
  cmp_objects=$(cd "$estate" && ARGOCD_ENV_ENVIRONMENT=prod ARGOCD_ENV_TENANT=$tenant "$bin" cmp generate 2> /dev/null | grep -c '^kind: ')
  read -r t rss < <(measure 0 sh -c 'cd "$1" && ARGOCD_ENV_ENVIRONMENT=prod ARGOCD_ENV_TENANT=$2 "$3" cmp generate' sh "$estate" "$tenant" "$bin")
  row "$n" "cmp (1 tenant)" "$cmp_objects" "$t" "$rss"
  # diff: change the tier of 1% of the tenants (every 100th), then compare as a pull request
  # does, with the inputs at the base commit (`--base`: both states rendered where they
  # differ), and with the tree on disk (renders the new inputs in full, reads the old tree).
  # Each environment's tiers rotate within what its pack rules allow.
  git -C "$estate" init -q
  git -C "$estate" add environments policy-packs templates
  git -C "$estate" -c user.name=bench -c user.email=bench@example.com commit -q -m base
  e="$estate/environments"
  python3 scripts/rotate_tiers.py "$e/dev.yaml" micro=small small=medium medium=large large=micro
  python3 scripts/rotate_tiers.py "$e/staging.yaml" micro=small small=medium medium=large large=micro
  python3 scripts/rotate_tiers.py "$e/prod.yaml" small=medium medium=large large=small
  python3 scripts/rotate_tiers.py "$e/local.yaml" micro=small small=micro
  read -r t rss < <(measure 1 "$bin" diff --root "$estate" --base HEAD); row "$n" "diff --base (1%)" "$objects" "$t" "$rss"
  read -r t rss < <(measure 1 "$bin" diff --root "$estate"); row "$n" "diff tree (1%)" "$objects" "$t" "$rss"
  if [ "$have_helm" = 1 ]; then
    pobjects=$(( 4 * (7 * n + 4) ))
    read -r t rss < <(measure 0 sh -c 'for e in dev staging prod local; do "$1" template estate "$2/chart" -f "$2/chart/values-$e.yaml"; done' sh "$peers/bin/helm" "$pe")
    row "$n" "peer: helm" "$pobjects" "$t" "$rss"
    # One environment, as the stream above: objects/s and bytes/s side by side.
    helm_objects=$(( 7 * n + 4 ))
    helm_bytes=$("$peers/bin/helm" template estate "$pe/chart" -f "$pe/chart/values-prod.yaml" | wc -c)
    read -r ht hrss < <(alternated helm)
    row "$n" "peer: helm 1 env" "$helm_objects" "$ht" "$hrss"
    ratio "$n" "stream (1 env)" "$stream_objects" "$stream_t" "$helm_objects" "$ht" "helm template"
    awk -v a="$stream_bytes" -v t="$stream_t" -v b="$helm_bytes" -v ht="$ht" -v n="$n" \
      'BEGIN { printf "%-7s %-21s stream (1 env): %.1fx the bytes/s of helm template (%d vs %d bytes)\n", n, "ratio", (a / t) / (b / ht), a, b }'
    ratio "$n" render "$objects" "$render_t" "$pobjects" "$t" "helm template"
    ratio "$n" "render, no index" "$objects" "$cold_t" "$pobjects" "$t" "helm template"
    ratio "$n" "render, git checkout" "$objects" "$git_t" "$pobjects" "$t" "helm template"
    if [ "$n" -le 100 ] && [ -x "$peers/bin/kubectl-v1.33" ]; then
      read -r t rss < <(measure 0 sh -c 'for e in dev staging prod local; do "$1" kustomize "$2/kustomize/overlays/$e"; done' sh "$peers/bin/kubectl-v1.33" "$pe")
      row "$n" "peer: kustomize" "$pobjects" "$t" "$rss"
    fi
  else
    printf '%-7s %-21s (peer tools not installed: bash ../shared/bench/install_peers.sh)\n' "$n" peers
  fi
  if [ -x "$kubeconform" ] && [ -d "$peers/schemas" ]; then
    # The same rendered tree, every object against the strict Kubernetes schemas (the Argo
    # kinds have none there and are skipped, which only flatters kubeconform).
    read -r t rss < <(measure 1 "$kubeconform" -strict -summary -ignore-missing-schemas \
      -kubernetes-version 1.33.0 \
      -schema-location "$peers/schemas/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
      "$estate/gitops")
    row "$n" "peer: kubeconform" "$objects" "$t" "$rss"
    ratio "$n" lint "$objects" "$lint_t" "$objects" "$t" "kubeconform -strict"
  else
    ratio "$n" lint "$objects" "$lint_t" "$kubeconform_ref" 1 \
      "kubeconform -strict (its reference $kubeconform_ref/s; not installed here)"
  fi
done
