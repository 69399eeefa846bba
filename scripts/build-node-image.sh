#!/usr/bin/env bash
# Pack this host's Node.js (binary + shared libraries + npm) into a local image,
# so the jobfleet Dockerfile can be built without a container registry:
#   scripts/build-node-image.sh [TAG]          (default jobfleet-node:20, base busybox:latest)
#   docker build --build-arg NODE_IMAGE=jobfleet-node:20 -t jobfleet:latest .
# Needs the busybox:latest image (npm run setup makes it).
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/pack-host.sh"
install_err_trap
JOBFLEET_RERUN="scripts/build-node-image.sh"
step node-image
tag=${1:-jobfleet-node:20}
base=${BASE_IMAGE:-busybox:latest}

node=$(command -v node) || die "node is not on PATH"
npm_cli=$(readlink -f "$(command -v npm)") || die "npm is not on PATH"
npm_dir=$(cd "$(dirname "$npm_cli")/.." && pwd)       # .../node_modules/npm
[ -f "$npm_dir/package.json" ] || die "cannot find npm's package directory (from $npm_cli)"
image_exists "$base" || die "base image $base is missing" "run: npm run setup (it builds busybox:latest)"

say "building $tag from $(readlink -f "$node") ($(node -v)) and npm $(npm -v) on $base"
ctx=$(mktemp -d "${TMPDIR:-/tmp}/jobfleet-node.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
cp "$JOBFLEET_REPO_ROOT/images/node/Dockerfile" "$ctx/"
pack_binary "$ctx/rootfs" /usr/local/bin/node "$node"
mkdir -p "$ctx/rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$ctx/rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ctx/rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ctx/rootfs/usr/local/bin/npx"
copy_host_ca_bundle "$ctx/rootfs"
docker_build_logged "$tag" "$ctx" --build-arg "BASE_IMAGE=$base" --build-arg "JOBFLEET_SOURCE=${JOBFLEET_SOURCE:-unknown}"
ok "image $tag: $(docker run --rm "$tag" node -e 'process.stdout.write(process.version)'), npm $(docker run --rm "$tag" npm -v)"
