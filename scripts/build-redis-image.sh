#!/usr/bin/env bash
# Pack this host's redis-server and redis-cli (binaries + shared libraries) into a local image,
# for `docker-compose up` on a machine without a container registry:
#   scripts/build-redis-image.sh [TAG]         (default redis:7, base busybox:latest)
# Needs the busybox:latest image (npm run setup makes it) and redis-server >= 6.2.
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/pack-host.sh"
install_err_trap
JOBFLEET_RERUN="scripts/build-redis-image.sh"
step redis-image
tag=${1:-redis:7}
base=${BASE_IMAGE:-busybox:latest}

redis=$(command -v redis-server) || die "redis-server is not on PATH" "Debian: apt-get install redis-server"
image_exists "$base" || die "base image $base is missing" "run: npm run setup (it builds busybox:latest)"

say "building $tag from $redis ($(redis-server --version | cut -d' ' -f3)) on $base"
ctx=$(mktemp -d "${TMPDIR:-/tmp}/jobfleet-redis.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
cp "$JOBFLEET_REPO_ROOT/images/redis/Dockerfile" "$JOBFLEET_REPO_ROOT/images/redis/docker-entrypoint.sh" "$ctx/"
chmod 0755 "$ctx/docker-entrypoint.sh"
pack_binary "$ctx/rootfs" /usr/local/bin/redis-server "$redis"
# redis-cli (Debian: redis-tools, which redis-server depends on): docker-compose.yml's health check.
if cli=$(command -v redis-cli); then pack_binary "$ctx/rootfs" /usr/local/bin/redis-cli "$cli"
else warn "redis-cli is not on PATH: the image has none, and docker-compose.yml's health check of redis fails"; fi
docker_build_logged "$tag" "$ctx" --build-arg "BASE_IMAGE=$base" --build-arg "JOBFLEET_SOURCE=${JOBFLEET_SOURCE:-unknown}"
ok "image $tag: $(docker run --rm "$tag" redis-server --version | cut -d' ' -f1-3)"
