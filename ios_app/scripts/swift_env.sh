# Sourced: a Swift 6 toolchain on a Debian 12 host, without installing anything on it. Debian 13
# (trixie) packages swiftlang; this builds a minimal trixie root once (debootstrap from Debian's own
# package, no install) under $SWIFT_ROOT and runs commands in it with the repository mounted at /src
# (the package at /src/ios_app: its tests read data files the Python side shares, e.g. export/contracts/protocol.json).
# Needs root (chroot, mount). A machine that cannot reach Debian's mirror fails here, saying so.
set -euo pipefail
IOS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_DIR="$(dirname "$IOS_DIR")"
SWIFT_ROOT="${CLOFORMER_CACHE:-$HOME/.cache/cloformer}/swift-trixie"
SWIFT_PACKAGES="swiftlang libc6-dev libstdc++-14-dev"

die() { echo "error: $*" >&2; exit 1; }

swift_root() {
  [ -f "$SWIFT_ROOT/.ready" ] && return 0  # written last, once swift is installed
  [ "$(id -u)" = 0 ] || die "building the Swift chroot needs root (debootstrap, chroot, mount)"
  local mirror tmp
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
           | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -1 | tr -d ' ' || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get -q download debootstrap >/dev/null 2>&1) || die "cannot download debootstrap from Debian"
  dpkg-deb -x "$tmp"/debootstrap_*.deb "$tmp/ds"
  rm -rf "$SWIFT_ROOT.partial"
  echo "building a Debian trixie root for Swift in $SWIFT_ROOT (once, about 2 minutes)" >&2
  DEBOOTSTRAP_DIR="$tmp/ds/usr/share/debootstrap" "$tmp/ds/usr/sbin/debootstrap" --variant=minbase \
    --keyring=/usr/share/keyrings/debian-archive-keyring.gpg trixie "$SWIFT_ROOT.partial" "$mirror" \
    >"$tmp/debootstrap.log" 2>&1 || die "debootstrap of trixie from $mirror failed: $(tail -1 "$tmp/debootstrap.log")"
  cp /etc/resolv.conf "$SWIFT_ROOT.partial/etc/resolv.conf"
  in_root_at "$SWIFT_ROOT.partial" / "apt-get -q update && apt-get install -y -q --no-install-recommends \
    $SWIFT_PACKAGES && apt-get clean" >"$tmp/apt.log" 2>&1 \
    || die "installing $SWIFT_PACKAGES in the trixie root failed: $(tail -1 "$tmp/apt.log")"
  rm -rf "$SWIFT_ROOT" "$tmp" && mv "$SWIFT_ROOT.partial" "$SWIFT_ROOT" && touch "$SWIFT_ROOT/.ready"
}

# in_root_at ROOT DIR COMMAND: run COMMAND in ROOT, in DIR, with /proc (libswiftCore needs it) and
# the repository at /src, all unmounted afterwards.
in_root_at() {
  local root=$1 dir=$2 command=$3 status=0
  mkdir -p "$root/src"
  mount -t proc proc "$root/proc"
  mount --bind "$REPO_DIR" "$root/src"
  chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 bash -o pipefail -c "cd $dir && $command" || status=$?
  umount "$root/src" "$root/proc"
  return $status
}

in_swift() { swift_root && in_root_at "$SWIFT_ROOT" "${2:-/src/ios_app}" "$1"; }
