#!/usr/bin/env bash
# Builds the pinned upstream Kubernetes components the lab runs (kube-apiserver, kube-controller-manager,
# kube-proxy, kubectl, etcd, etcdctl, helm) from their Go modules, into a cache directory per Kubernetes version.
# The pins and why: versions.env beside this file. How and why it builds the way it does: README.md beside it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
versions_file="$here/versions.env"
prog=scripts/k8s/build.sh

usage() {
  cat <<EOF
Usage: $prog [--print-dir | --check | --help]

Builds the components pinned in scripts/k8s/versions.env (with Go >= 1.26 and the Go module proxy) into
\${PATCHBAY_K8S_CACHE:-~/.cache/patchbay}/k8s-<kubernetes version>/ and prints that directory on stdout (progress
goes to stderr). When the directory is already built from the same versions.env, it only checks that every
binary reports its pinned version, and returns in a few seconds. Safe to run concurrently: one run builds, the
others wait for it and then reuse its result.

  (no option)   build if needed, check, print the directory
  --print-dir   print the directory the current pins map to; build and check nothing
  --check       check only: print the directory and exit 0 when it is built and current, else exit 1
  --help        this text

Binaries in the directory: kube-apiserver kube-controller-manager kube-proxy kubectl etcd etcdctl helm.
EOF
}

log() { printf 'k8s-build: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

mode=build
case "$#:${1:-}" in
  0:) ;;
  1:--print-dir) mode=print-dir ;;
  1:--check) mode=check ;;
  1:--help | 1:-h)
    usage
    exit 0
    ;;
  *)
    log "error: unknown arguments (expected at most one of --print-dir, --check, --help)"
    exit 2
    ;;
esac

# versions.env is parsed, not sourced: only the known keys, each checked, so a bad line is named by its number.
K8S_VERSION='' ETCD_VERSION='' HELM_VERSION='' RECIPE=''
read_versions() {
  [[ -r $versions_file ]] || die "$versions_file: not readable"
  local line n=0 key val
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    [[ $line =~ ^([A-Z0-9_]+)=([^[:space:]]*)$ ]] || die "$versions_file:$n: expected KEY=VALUE"
    key=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
    case $key in
      K8S_VERSION | ETCD_VERSION | HELM_VERSION)
        [[ $val =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "$versions_file:$n: $key must look like v1.2.3"
        ;;
      RECIPE) [[ $val =~ ^[0-9]+$ ]] || die "$versions_file:$n: RECIPE must be a whole number" ;;
      *) die "$versions_file:$n: unknown key $key (known: K8S_VERSION ETCD_VERSION HELM_VERSION RECIPE)" ;;
    esac
    printf -v "$key" '%s' "$val"
  done <"$versions_file"
  local k
  for k in K8S_VERSION ETCD_VERSION HELM_VERSION RECIPE; do
    [[ -n ${!k} ]] || die "$versions_file: $k is missing"
  done
}
read_versions

cache_root=${PATCHBAY_K8S_CACHE:-${HOME:?HOME is not set}/.cache/patchbay}
[[ $cache_root == /* ]] || die "PATCHBAY_K8S_CACHE must be an absolute path"
dir="$cache_root/k8s-$K8S_VERSION"
if [[ $mode == print-dir ]]; then
  printf '%s\n' "$dir"
  exit 0
fi

binaries=(kube-apiserver kube-controller-manager kube-proxy kubectl etcd etcdctl helm)
versions_hash=$(sha256sum "$versions_file" | cut -d' ' -f1)
stamp_line="versions.env sha256 $versions_hash"

# The first line each binary prints about its version, as the pins say it must read.
expected_version() {
  case $1 in
    kube-apiserver | kube-controller-manager | kube-proxy) printf 'Kubernetes %s' "$K8S_VERSION" ;;
    kubectl) printf 'Client Version: %s' "$K8S_VERSION" ;;
    etcd) printf 'etcd Version: %s' "${ETCD_VERSION#v}" ;;
    etcdctl) printf 'etcdctl version: %s' "${ETCD_VERSION#v}" ;;
    helm) printf '%s' "$HELM_VERSION" ;;
  esac
}

reported_version() {
  local bin=$1 out
  # timeout: a binary that hangs must not hang the check; HELM_* and KUBECONFIG cannot change a client version.
  case ${bin##*/} in
    kubectl) out=$(timeout 30 "$bin" version --client 2>/dev/null) ;;
    etcdctl) out=$(timeout 30 "$bin" version 2>/dev/null) ;;
    helm) out=$(timeout 30 "$bin" version --template '{{.Version}}' 2>/dev/null) ;;
    *) out=$(timeout 30 "$bin" --version 2>/dev/null) ;;
  esac || return 1
  printf '%s' "${out%%$'\n'*}"
}

# Every binary present, executable and reporting its pinned version. Prints what is wrong on stderr.
check_binaries() {
  local d=$1 b want got ok=0
  for b in "${binaries[@]}"; do
    want=$(expected_version "$b")
    if [[ ! -x $d/$b ]]; then
      log "$d/$b: missing"
      ok=1
    elif ! got=$(reported_version "$d/$b"); then
      log "$d/$b: its version command failed"
      ok=1
    elif [[ $got != "$want" ]]; then
      # The binary's own output is not echoed: a foreign file in the cache could print anything.
      log "$d/$b: does not report \"$want\""
      ok=1
    fi
  done
  return $ok
}

cache_is_current() {
  if [[ ! -f $dir/.stamp ]]; then
    log "$dir: no finished build"
    return 1
  fi
  if [[ $(<"$dir/.stamp") != "$stamp_line" ]]; then
    log "$dir: built from another versions.env"
    return 1
  fi
  check_binaries "$dir"
}

mkdir -p "$cache_root"
# One lock per cache root. Checks hold it shared, a build holds it exclusive, so a check never sees a directory
# being swapped and concurrent runs build once.
exec 9>"$cache_root/.lock"
if ! flock -n -s 9; then
  log "waiting for another run to finish (lock $cache_root/.lock)"
  flock -s 9
fi
if cache_is_current; then
  log "up to date: $dir"
  printf '%s\n' "$dir"
  exit 0
fi
if [[ $mode == check ]]; then
  log "$dir is not ready (see above); run $prog"
  exit 1
fi
flock -u 9
flock -x 9
# Another run may have built it between the two locks.
if cache_is_current; then
  log "up to date: $dir"
  printf '%s\n' "$dir"
  exit 0
fi

# ---- build ----------------------------------------------------------------------------------------------------
command -v go >/dev/null || die "go is not on PATH: install Go 1.26 or later (see scripts/k8s/README.md)"
command -v node >/dev/null || die "node is not on PATH"
go_version=$(go env GOVERSION)
[[ $go_version =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] >= 26)) ||
  die "Kubernetes ${K8S_VERSION%.*} needs Go 1.26 or later; go env GOVERSION says something else"

# Leftovers of runs that were killed (SIGKILL skips the trap below): no other build can be running while this
# one holds the lock exclusively. The wrapper modules live in the cache root too, so this also reaps them.
rm -rf "$cache_root"/.work-* "$cache_root"/.incoming-* "$cache_root"/.stale-*
work="$cache_root/.work-$K8S_VERSION.$$"
incoming="$cache_root/.incoming-$K8S_VERSION.$$"
cleanup() { rm -rf "$work" "$incoming"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir "$work" "$incoming"

# Static binaries (CGO_ENABLED=0) as Kubernetes' own release builds them; -mod=mod lets the wrapper write its
# go.sum; GOTOOLCHAIN=local never fetches another Go; GOWORK=off keeps a go.work above TMPDIR out. GOCACHE and
# GOMODCACHE stay where the user has them, so a re-pin only compiles what changed.
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off
build_date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
timings=()

# Writes <wrapper dir>/go.mod for the given (module version) pairs, from the releases' go.mod files.
# $1 wrapper dir, $2 version the releases' directory-replaced siblings are published at, then pairs.
make_wrapper() {
  local wdir=$1 sibling=$2
  shift 2
  mkdir -p "$wdir"
  local args=() i=0 mod ver gomod
  while (($#)); do
    mod=$1 ver=$2
    shift 2
    gomod=$(go mod download -json "$mod@$ver" | node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        const j = JSON.parse(s);
        if (j.Error || !j.GoMod) { process.stderr.write("go mod download failed\n"); process.exit(1); }
        process.stdout.write(j.GoMod);
      });') || die "$mod@$ver: go mod download failed (is the Go module proxy reachable?)"
    go mod edit -json "$gomod" >"$wdir/upstream-$i.json"
    args+=("$mod" "$ver" "$wdir/upstream-$i.json")
    i=$((i + 1))
  done
  node "$here/wrapper-module.mjs" gomod "patchbay.invalid/k8s-build/${wdir##*/}" "$sibling" "${args[@]}" >"$wdir/go.mod"
  # The wrapper must build what the releases pin, not what MVS drifts to: compare its build list with them.
  (cd "$wdir" && go list -m -f '{{.Path}} {{.Version}}{{with .Replace}} {{.Path}} {{.Version}}{{end}}' all) \
    >"$wdir/build-list.txt" || die "${wdir##*/}: go list -m all failed in the wrapper module"
  node "$here/wrapper-module.mjs" compare "$sibling" "$wdir/build-list.txt" "${args[@]}" ||
    die "${wdir##*/}: the wrapper module does not reproduce the release's dependency versions"
}

# $1 wrapper dir, $2 output name, $3 package, then go build flags.
build_one() {
  local wdir=$1 name=$2 pkg=$3 t0 t1
  shift 3
  log "building $name ($pkg)"
  t0=$(date +%s)
  # nice: the machines are shared; the build must not starve tests or other builds.
  (cd "$wdir" && nice -n 19 go build -trimpath -o "$incoming/$name" "$@" "$pkg") || die "building $name failed"
  t1=$(date +%s)
  timings+=("$name $((t1 - t0))s")
  log "built $name in $((t1 - t0)) s"
}

# Kubernetes. Flags as hack/lib/golang.sh builds a release: tags selinux,notest,grpcnotrace, -s -w, and the
# version variables of hack/lib/version.sh in both packages that hold them. The module proxy does not say which
# commit a tag is, so gitCommit is set empty (unknown; unset it would read "$Format:%H$") and gitTreeState is
# "archive", the state version.sh reports for source that is not a git checkout.
[[ $K8S_VERSION =~ ^v([0-9]+)\.([0-9]+)\.([0-9]+)$ ]]
k8s_major=${BASH_REMATCH[1]} k8s_minor=${BASH_REMATCH[2]} k8s_patch=${BASH_REMATCH[3]}
# Kubernetes publishes its staging modules (k8s.io/api, ...) as v0.<minor>.<patch> for release v1.<minor>.<patch>.
k8s_staging="v0.$k8s_minor.$k8s_patch"
k8s_ldflags="-s -w"
for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  k8s_ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=$k8s_major -X $p.gitMinor=$k8s_minor"
  k8s_ldflags+=" -X $p.gitCommit= -X $p.gitTreeState=archive -X $p.buildDate=$build_date"
done
t_start=$(date +%s)
log "resolving k8s.io/kubernetes $K8S_VERSION (staging modules at $k8s_staging)"
make_wrapper "$work/kubernetes" "$k8s_staging" k8s.io/kubernetes "$K8S_VERSION"
for c in kube-apiserver kube-controller-manager kube-proxy kubectl; do
  build_one "$work/kubernetes" "$c" "k8s.io/kubernetes/cmd/$c" -tags selinux,notest,grpcnotrace -ldflags "$k8s_ldflags"
done

# etcd: named etcd as etcd's own build names the server module's main package. GitSHA as etcd's scripts set it
# when there is no git checkout. Its siblings (api, client, pkg) are published at the same version.
etcd_ldflags="-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=GitNotFound"
log "resolving go.etcd.io/etcd $ETCD_VERSION"
make_wrapper "$work/etcd" "$ETCD_VERSION" go.etcd.io/etcd/server/v3 "$ETCD_VERSION" go.etcd.io/etcd/etcdctl/v3 "$ETCD_VERSION"
build_one "$work/etcd" etcd go.etcd.io/etcd/server/v3 -ldflags "$etcd_ldflags"
build_one "$work/etcd" etcdctl go.etcd.io/etcd/etcdctl/v3 -ldflags "$etcd_ldflags"

# helm: flags as its Makefile (-s -w, the version variable; its source alone says only "v4.3").
log "resolving helm.sh/helm/v4 $HELM_VERSION"
make_wrapper "$work/helm" "$HELM_VERSION" helm.sh/helm/v4 "$HELM_VERSION"
build_one "$work/helm" helm helm.sh/helm/v4/cmd/helm -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$HELM_VERSION"
t_end=$(date +%s)

check_binaries "$incoming" || die "a freshly built binary does not report its pinned version"
{
  printf 'Built by %s on %s with %s (recipe %s).\n' "$prog" "$build_date" "$go_version" "$RECIPE"
  printf 'kubernetes %s, etcd %s, helm %s\n' "$K8S_VERSION" "$ETCD_VERSION" "$HELM_VERSION"
  printf 'build times (each after the ones before it, sharing their compiled packages): %s; total %ss\n' \
    "$(IFS=,; printf '%s' "${timings[*]}" | sed 's/,/, /g')" "$((t_end - t_start))"
} >"$incoming/BUILD-INFO"
# The stamp goes in last: a directory without it is never taken as built.
printf '%s\n' "$stamp_line" >"$incoming/.stamp"

# Swap into place. Readers hold the lock shared, so none of them sees the moment between the two renames.
if [[ -e $dir ]]; then mv "$dir" "$cache_root/.stale-$K8S_VERSION.$$"; fi
mv "$incoming" "$dir"
rm -rf "$cache_root/.stale-$K8S_VERSION.$$"
log "built in $((t_end - t_start)) s: $dir"
printf '%s\n' "$dir"
