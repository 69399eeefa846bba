# shellcheck shell=bash
# What each local image of docker-compose.yml is made from, as one string: the build scripts store it
# in the image's label org.jobfleet.source, and scripts/build-images.sh rebuilds an image only when
# the label differs (so a re-run of npm run setup on a ready machine builds nothing).
# Needs scripts/lib/common.sh.

image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null; }
image_source() { docker image inspect --format '{{ index .Config.Labels "org.jobfleet.source" }}' "$1" 2>/dev/null; }

# node_image_source BASE: the host's node and npm, and the base image.
node_image_source() { printf 'node %s npm %s on %s' "$(node -v)" "$(npm -v)" "$(image_id "$1")"; }

# redis_image_source BASE: the host's redis-server and redis-cli, and the base image.
redis_image_source() {
  printf 'redis %s cli %s on %s' "$(redis-server --version | cut -d' ' -f3)" "$(redis-cli --version 2>/dev/null | cut -d' ' -f2)" "$(image_id "$1")"
}

# jobfleet_image_source NODE_IMAGE: a hash of the Dockerfile, .dockerignore, lockfile and manifests,
# every built file that goes into the image (keep in step with .dockerignore), and the node image.
jobfleet_image_source() {
  local root=$JOBFLEET_REPO_ROOT
  {
    image_id "$1"
    cd "$root" && sha256sum Dockerfile .dockerignore package.json package-lock.json packages/*/package.json
    # What .dockerignore sends: not the test packages, tests, source maps, tsc's incremental state.
    find packages/*/dist packages/*/bin -type f ! -path 'packages/e2e/*' ! -path 'packages/testing/*' \
      ! -name '*.map' ! -name '*.test.*' ! -name '*.tsbuildinfo' -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum
  } | sha256sum | cut -c1-64
}
