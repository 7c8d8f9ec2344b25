#!/usr/bin/env bash
# Proves the built etcd serves: starts it on a tmpfs data directory, bound to 127.0.0.1 on free ports, with
# --unsafe-no-fsync (as the lab runs it), waits for /health to say healthy, writes and reads a key with the built
# etcdctl, then stops it by the PID it started and removes the data directory, even on failure.
#   scripts/k8s/smoke-etcd.sh [<dir with etcd and etcdctl>]    (default: the directory build.sh prints)
set -euo pipefail

log() { printf 'smoke-etcd: %s\n' "$*" >&2; }
die() {
  log "error: $*"
  exit 1
}

if (($# > 1)); then die "expected at most one argument, the binaries' directory"; fi
bin=${1:-$("$(dirname "${BASH_SOURCE[0]}")/build.sh" --check)} || die "the components are not built: run scripts/k8s/build.sh"
[[ -x $bin/etcd && -x $bin/etcdctl ]] || die "no etcd and etcdctl in the given directory"

# /dev/shm is the tmpfs every Linux has; the lab keeps etcd's data in memory too.
[[ $(stat -f -c %T /dev/shm 2>/dev/null) == tmpfs ]] || die "/dev/shm is not a tmpfs"
data=$(mktemp -d /dev/shm/patchbay-etcd-smoke.XXXXXX)
pid=''
cleanup() {
  if [[ -n $pid ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Two free ports, asked of the kernel (port 0), not guessed. Another process could take one before etcd binds
# it; etcd then fails to start and this script says so.
read -r client_port peer_port < <(node -e '
  const net = require("node:net");
  const take = () => new Promise((ok) => { const s = net.createServer().listen(0, "127.0.0.1", () => ok(s)); });
  Promise.all([take(), take()]).then((ss) => { console.log(ss.map((s) => s.address().port).join(" ")); ss.forEach((s) => s.close()); });')
client="http://127.0.0.1:$client_port"
peer="http://127.0.0.1:$peer_port"

"$bin/etcd" --name smoke --data-dir "$data/member" --unsafe-no-fsync \
  --listen-client-urls "$client" --advertise-client-urls "$client" \
  --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" --initial-cluster "smoke=$peer" \
  --log-level warn >"$data/etcd.log" 2>&1 &
pid=$!
log "started etcd (pid $pid) on $client, data on tmpfs in $data"

healthy=''
for _ in $(seq 1 100); do
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 20 "$data/etcd.log" >&2
    die "etcd exited before it was healthy"
  fi
  if body=$(curl -fsS --max-time 2 "$client/health" 2>/dev/null) && [[ $body == *'"health":"true"'* ]]; then
    healthy=yes
    break
  fi
  sleep 0.2
done
[[ -n $healthy ]] || die "etcd did not report healthy on /health within 20 s"
log "/health: $body"

"$bin/etcdctl" --endpoints "$client" put patchbay-smoke ok >/dev/null
got=$("$bin/etcdctl" --endpoints "$client" get patchbay-smoke --print-value-only)
[[ $got == ok ]] || die "etcdctl read back something other than what it wrote"
log "etcdctl put/get round trip ok"

kill "$pid"
wait "$pid" 2>/dev/null || true
pid=''
log "stopped etcd; removing $data"
