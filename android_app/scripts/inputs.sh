# Sourced by the scripts beside it: fetch build inputs from the Debian and npm registries into a
# cache (nothing is installed on the machine), and say exactly what failed when one cannot be had.
set -euo pipefail
APP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CLOFORMER_CACHE:-$HOME/.cache/cloformer}/android"
DEBS="$CACHE/debs"    # downloaded .deb files
ROOT="$CACHE/root"    # their contents, unpacked (dpkg-deb -x)
mkdir -p "$DEBS" "$ROOT"

die() { echo "error: $*" >&2; exit 1; }

# A private APT configuration for another Debian release (android.jar API 23 and dx are in bullseye
# only): its own lists and cache under $CACHE; the host's sources stay untouched.
apt_config() {
  local release=$1 dir="$CACHE/apt-$1"
  if [ ! -f "$dir/apt.conf" ]; then
    mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
    local mirror
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
             | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -1 | tr -d ' ' || true)
    echo "deb ${mirror:-http://deb.debian.org/debian} $release main" > "$dir/sources.list"
    cat > "$dir/apt.conf" <<CONF
Dir::Etc::SourceList "$dir/sources.list";
Dir::Etc::SourceParts "/nonexistent";
Dir::State::Lists "$dir/lists";
Dir::Cache "$dir/cache";
CONF
    APT_CONFIG="$dir/apt.conf" apt-get -q update -o Debug::NoLocking=1 >/dev/null 2>&1 \
      || { rm -f "$dir/apt.conf"; die "cannot reach the Debian $release package lists (apt-get update)"; }
  fi
  echo "$dir/apt.conf"
}

# deb RELEASE PACKAGE...: download (once) and unpack into $ROOT. RELEASE "host" uses the host's sources.
deb() {
  local release=$1; shift
  local missing=()
  for p in "$@"; do [ -f "$DEBS/$p.done" ] || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  local config=""
  [ "$release" != host ] && config=$(apt_config "$release")
  (cd "$DEBS" && APT_CONFIG="$config" apt-get -q download "${missing[@]}" >/dev/null 2>"$DEBS/apt.err") \
    || { [ "$release" = host ] && apt-get -q update >/dev/null 2>&1 \
         && (cd "$DEBS" && apt-get -q download "${missing[@]}" >/dev/null 2>"$DEBS/apt.err"); } \
    || die "cannot download ${missing[*]} from Debian $release: $(grep -v '^W:' "$DEBS/apt.err" | tail -1)"
  for p in "${missing[@]}"; do
    dpkg-deb -x "$(ls "$DEBS/${p}"_*.deb | head -1)" "$ROOT" && touch "$DEBS/$p.done"
  done
}

# npm_pkg NAME@VERSION: the package's files under $CACHE/npm/NAME@VERSION (once).
npm_pkg() {
  local spec=$1 dir="$CACHE/npm/$1"
  if [ ! -d "$dir/package" ]; then
    mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "$spec" >/dev/null 2>npm.err && tar xzf ./*.tgz && rm -f ./*.tgz) \
      || { rm -rf "$dir"; die "cannot download $spec from the npm registry"; }
  fi
  echo "$dir/package"
}

JARS="$ROOT/usr/share/java"
