#!/usr/bin/env bash
# The local images docker-compose.yml runs, built from this host with no container registry, each
# only when missing or made from something else than what is here now (label org.jobfleet.source):
#   jobfleet-node:20   this host's Node.js and npm on busybox:latest   (scripts/build-node-image.sh)
#   redis:7            this host's redis-server and redis-cli           (scripts/build-redis-image.sh)
#   jobfleet:latest    this workspace's build on jobfleet-node:20       (scripts/build-jobfleet-image.sh)
# Run by npm run setup after the build; by hand: scripts/build-images.sh [--force]
# Needs busybox:latest, node, redis-server and the built workspace (npm run setup makes them).
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$SCRIPT_DIR/lib/common.sh"
. "$SCRIPT_DIR/lib/images.sh"
install_err_trap
JOBFLEET_RERUN="scripts/build-images.sh"
step images
force=false; [ "${1:-}" = --force ] && force=true
base=${BASE_IMAGE:-busybox:latest}
node_tag=${NODE_IMAGE:-jobfleet-node:20}
redis_tag=${JOBFLEET_REDIS_IMAGE:-redis:7}
jobfleet_tag=${JOBFLEET_IMAGE:-jobfleet:latest}
image_exists "$base" || die "base image $base is missing" "run: npm run setup (it builds busybox:latest)"

# current TAG SOURCE: the image exists and was made from SOURCE.
current() { ! $force && [ "$(image_source "$1" || true)" = "$2" ]; }

src=$(node_image_source "$base")
if current "$node_tag" "$src"; then ok "image $node_tag up to date"
else JOBFLEET_SOURCE=$src BASE_IMAGE=$base "$SCRIPT_DIR/build-node-image.sh" "$node_tag" || exit 1; fi

src=$(redis_image_source "$base")
if current "$redis_tag" "$src"; then ok "image $redis_tag up to date"
elif image_exists "$redis_tag" && ! $force \
  && [ "$(docker image inspect --format '{{ index .Config.Labels "org.jobfleet.built-locally" }}' "$redis_tag")" != true ]; then
  ok "image $redis_tag present (not built here: kept)"   # e.g. the official one, pulled
else JOBFLEET_SOURCE=$src BASE_IMAGE=$base "$SCRIPT_DIR/build-redis-image.sh" "$redis_tag" || exit 1; fi

src=$(jobfleet_image_source "$node_tag")
if current "$jobfleet_tag" "$src"; then ok "image $jobfleet_tag up to date"
else NODE_IMAGE=$node_tag "$SCRIPT_DIR/build-jobfleet-image.sh" "$jobfleet_tag" || exit 1; fi
