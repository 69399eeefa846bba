#!/usr/bin/env bash
# Build the local busybox image from the host's static busybox binary.
#   scripts/build-busybox-image.sh [TAG]      (default: busybox:latest)
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/busybox-image.sh"
install_err_trap
JOBFLEET_RERUN="scripts/build-busybox-image.sh"
step busybox-image
tag=${1:-busybox:latest}
say "building image $tag"
build_busybox_image "$tag"
ok "image $tag built ($(docker image inspect --format '{{.Id}}' "$tag" | cut -c8-19))"
