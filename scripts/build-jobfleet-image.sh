#!/usr/bin/env bash
# Build the jobfleet image (root Dockerfile) from this workspace's node_modules and build, offline:
#   scripts/build-jobfleet-image.sh [TAG]     (default jobfleet:latest, base NODE_IMAGE or jobfleet-node:20)
# Needs the workspace built (npm run setup) and the node base image (scripts/build-node-image.sh).
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/images.sh"
install_err_trap
JOBFLEET_RERUN="scripts/build-jobfleet-image.sh"
step jobfleet-image
tag=${1:-jobfleet:latest}
base=${NODE_IMAGE:-jobfleet-node:20}

[ -f "$JOBFLEET_REPO_ROOT/packages/cli/dist/bin.js" ] && [ -d "$JOBFLEET_REPO_ROOT/node_modules/@jobfleet" ] \
  || die "the workspace is not built" "run: npm run setup (or npm ci && npm run build), then $JOBFLEET_RERUN"
image_exists "$base" || die "base image $base is missing" "run: scripts/build-node-image.sh (or scripts/build-images.sh)"

say "building $tag from this workspace on $base"
source=$(jobfleet_image_source "$base")
docker_build_logged "$tag" "$JOBFLEET_REPO_ROOT" -f "$JOBFLEET_REPO_ROOT/Dockerfile" \
  --build-arg "NODE_IMAGE=$base" --build-arg "JOBFLEET_SOURCE=$source"
ok "image $tag: jobfleet $(docker run --rm "$tag" --version 2>/dev/null | head -n1 || echo '?')"
