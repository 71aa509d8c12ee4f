#!/usr/bin/env bash
# make fresh-check: the README's set-up proven on a Debian 12 that starts
# from nothing. Builds a minimal Debian 12 root with debootstrap (minbase:
# only Debian's required packages, no compiler, no make), clones this
# repository into it, and runs there, as root, what a new user runs:
#   apt-get install git make   (to clone; the one step before the README's commands)
#   make deps; make; make test-fast; build/echolab run experiments/quick.json --plot
# Each step's output goes to LOG_DIR/STEP.log; a failing step prints its
# last lines and what the root was missing. Ends with each step's time.
#
# usage: tests/fresh/fresh_check.sh [ROOT_DIR]   (root; default /var/tmp/echolab-fresh)
# FRESH_KEEP=1 keeps the root afterwards (it is about 3 GB once set up).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
root=${1:-/var/tmp/echolab-fresh}
logs=$repo/build-stages/fresh
[ "$(id -u)" = 0 ] || { echo "fresh-check: needs root (debootstrap, chroot, mounts)"; exit 1; }
command -v debootstrap >/dev/null || { echo "fresh-check: debootstrap is missing: apt-get install debootstrap"; exit 1; }
# The mirror this machine's apt uses (deb822 or one-line sources), else Debian's.
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
mkdir -p "$logs"

cleanup() {
  # Every mount under the root, deepest first (the tests' network
  # namespaces under run/netns included).
  for m in $(awk -v root="$root" 'index($2, root) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$m"; done
  [ "${FRESH_KEEP:-0}" = 1 ] || rm -rf "$root"
}
trap cleanup EXIT

declare -a names seconds
failed=""
# step NAME COMMAND...: runs it, logs it, times it; stops the check on failure.
step() {
  local name=$1 start=$(date +%s) rc
  shift
  echo "fresh-check: $name"
  "$@" >"$logs/$name.log" 2>&1
  rc=$?
  names+=("$name")
  seconds+=($(($(date +%s) - start)))
  if [ $rc != 0 ]; then
    failed=$name
    echo "fresh-check: $name FAILED (exit $rc); last lines of $logs/$name.log:"
    tail -25 "$logs/$name.log"
    grep -hE "not found|No such file|missing|Could not find|cannot find|is not installed" "$logs/$name.log" |
      sort -u | head -10 | sed 's/^/  missing? /'
  fi
  return $rc
}
in_root() { chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  LANG=C.UTF-8 CI=true bash -c "cd /root/echolab && $1"; }

report() {
  echo
  echo "fresh-check: step times (Debian 12 minbase from $mirror)"
  local total=0
  for i in "${!names[@]}"; do
    printf '  %-14s %6d s\n' "${names[$i]}" "${seconds[$i]}"
    total=$((total + seconds[i]))
  done
  printf '  %-14s %6d s\n' total "$total"
  [ -z "$failed" ] && echo "fresh-check: PASS" || echo "fresh-check: FAIL at $failed"
}
trap 'report; cleanup' EXIT

rm -rf "$root"
step debootstrap debootstrap --variant=minbase bookworm "$root" "$mirror" || exit 1
# The root a mount point of its own, as / is on a machine: `ip netns exec`
# (the hosts test) remounts / and fails in a plain chroot directory.
mount --bind "$root" "$root"
mount --make-private "$root"
mount -t proc proc "$root/proc"
# /sys and /dev (with /dev/pts) as rslave: nothing mounted or unmounted in
# the root propagates back to this machine.
for fs in sys dev; do
  mount --rbind "/$fs" "$root/$fs"
  mount --make-rslave "$root/$fs"
done
mkdir -p "$root/run/netns"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null
# The clone a new user would make (tracked files only, with its history).
step clone git clone -q "$repo" "$root/root/echolab" || exit 1
step git-and-make in_root "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git make" || exit 1
step make-deps in_root "make deps" || exit 1
step make in_root "make" || exit 1
step test-fast in_root "make test-fast" || exit 1
step quick-run in_root "build/echolab run experiments/quick.json --plot && ls results/quick/latest/REPORT.md results/quick/latest/charts/*.png" || exit 1
exit 0
