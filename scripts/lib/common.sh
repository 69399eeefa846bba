# shellcheck shell=bash
# Shared helpers for the jobfleet scripts. Source this file; do not run it.
#
#   say "installing x"   ->  ==> installing x
#   ok  "x answers"      ->  ok: x answers
#   step "docker"        names the step that die/the ERR trap report
#   die "msg" "hint"...  ->  FAILED [docker]: msg   (+ one "-> hint" line per hint), exit 1

JOBFLEET_REPO_ROOT=${JOBFLEET_REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
JOBFLEET_STEP=${JOBFLEET_STEP:-setup}

say()  { printf '==> %s\n' "$*"; }
ok()   { printf 'ok: %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
step() { JOBFLEET_STEP=$1; }

die() {
  printf '\nFAILED [%s]: %s\n' "$JOBFLEET_STEP" "$1" >&2
  shift
  local hint
  for hint in "$@"; do printf '  -> %s\n' "$hint" >&2; done
  exit 1
}

# Catch-all for commands that fail without an explicit die (needs set -E).
jobfleet_err_trap() {
  local rc=$1 cmd=$2
  trap - ERR
  die "command failed (exit $rc): $cmd" "see the output above; fix the cause and re-run: ${JOBFLEET_RERUN:-npm run setup}"
}
install_err_trap() { trap 'jobfleet_err_trap $? "$BASH_COMMAND"' ERR; }

# version_ge A B: true when dotted version A >= B.
version_ge() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# Is FILE a statically linked executable? ldd fails with "not a dynamic executable"
# for classic static binaries and prints "statically linked" for static-pie ones.
is_static_binary() {
  local out
  [ -x "$1" ] || return 1
  out=$(ldd "$1" 2>&1) || return 0
  case $out in *"statically linked"*) return 0 ;; esac
  return 1
}

# Print the path of a statically linked busybox (Debian: busybox-static), or fail.
find_static_busybox() {
  local c
  for c in "${JOBFLEET_BUSYBOX_BIN:-}" /bin/busybox /usr/bin/busybox "$(command -v busybox 2>/dev/null || true)"; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    c=$(readlink -f "$c")
    if is_static_binary "$c" && "$c" true >/dev/null 2>&1; then
      printf '%s\n' "$c"
      return 0
    fi
  done
  return 1
}

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

docker_server_version() {
  local v
  v=$(timeout 10 docker version --format '{{.Server.Version}}' 2>/dev/null) || return 1
  printf '%s\n' "${v%%+*}"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

# docker_build_logged TAG CONTEXT [docker build args...]
# Builds quietly into a log; on failure prints the log's tail and dies.
docker_build_logged() {
  local tag=$1 ctx=$2 log
  shift 2
  log=$(mktemp "${TMPDIR:-/tmp}/jobfleet-build.XXXXXX.log")
  if ! docker build --force-rm -t "$tag" "$@" "$ctx" >"$log" 2>&1; then
    tail -n 25 "$log" | sed 's/^/    | /' >&2
    die "docker build of $tag failed (full log: $log)" \
      "check that the base image exists locally: docker images"
  fi
  rm -f "$log"
}
