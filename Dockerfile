# jobfleet image: one image for the api, worker and janitor roles (entrypoint `jobfleet`, the role
# is the command):   docker run --rm jobfleet:latest api --host 0.0.0.0 --port 8080   (or worker, janitor)
#
# Made from THIS workspace as `npm run setup` leaves it (node_modules installed, packages built),
# with no registry at all: the build context is the repository filtered by .dockerignore down to
# the manifests, node_modules and packages/*/dist, and the dev dependencies are pruned offline.
#   scripts/build-images.sh          # what setup runs: node base, redis, this image (skips what is current)
#   docker-compose build             # this image alone, once the base exists
# Base image NODE_IMAGE: jobfleet-node:20 (scripts/build-node-image.sh packs this host's Node.js onto
# busybox:latest, so native modules built here run there); a Debian-based node image works too.
ARG NODE_IMAGE=jobfleet-node:20

FROM ${NODE_IMAGE} AS prune
WORKDIR /app
COPY . .
# A context without the build (a fresh checkout) must fail here, saying what to run.
RUN test -f packages/cli/dist/bin.js && test -d node_modules/@jobfleet \
      || { echo 'jobfleet is not built in this checkout: run npm run setup (or npm ci && npm run build) first' >&2; exit 1; } \
 && npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/.cache node_modules/@jobfleet/e2e node_modules/@jobfleet/testing packages/e2e packages/testing

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
COPY --from=prune /app /app
# Runs as root: the worker role talks to /var/run/docker.sock, which is root-owned.
EXPOSE 8080
# Which workspace build this is (scripts/build-jobfleet-image.sh compares it to skip a rebuild).
ARG JOBFLEET_SOURCE=unknown
LABEL org.jobfleet.built-locally=true org.jobfleet.source=${JOBFLEET_SOURCE}
ENTRYPOINT ["node", "packages/cli/dist/bin.js"]
CMD ["--help"]
