# shellcheck shell=bash
# build_busybox_image [TAG]: build images/busybox/Dockerfile from the host's
# static busybox (default tag busybox:latest). Needs scripts/lib/common.sh.

build_busybox_image() {
  local tag=${1:-busybox:latest} bin ctx src=$JOBFLEET_REPO_ROOT/images/busybox
  bin=$(find_static_busybox) || die "no statically linked busybox binary found on this host" \
    "Debian/Ubuntu: apt-get install busybox-static" \
    "elsewhere: set JOBFLEET_BUSYBOX_BIN=/path/to/a/static/busybox, or load any busybox image as busybox:latest"
  ctx=$(mktemp -d "${TMPDIR:-/tmp}/jobfleet-busybox.XXXXXX")
  cp "$src/Dockerfile" "$src/passwd" "$src/group" "$ctx/"
  cp "$bin" "$ctx/busybox"
  info "building $tag from $bin (images/busybox/Dockerfile)"
  docker_build_logged "$tag" "$ctx"
  rm -rf "$ctx"
}
