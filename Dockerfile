# jobfleet image: one image for the api, worker and janitor roles.
#   docker build -t jobfleet:latest .
#   docker run --rm jobfleet:latest api --port 8080      (or: worker, janitor)
#
# Base image: NODE_IMAGE (default node:20-bookworm-slim, from Docker Hub). On a
# machine with no container registry, pack the host's Node.js into a local image
# first and use that instead:
#   scripts/build-node-image.sh                          # -> jobfleet-node:20
#   docker build --build-arg NODE_IMAGE=jobfleet-node:20 -t jobfleet:latest .
# The npm registry must be reachable from the build either way (npm ci).
ARG NODE_IMAGE=node:20-bookworm-slim

# Workspace manifests only, so the dependency layer below is rebuilt only when a
# package.json or the lockfile changes (works for any number of packages/*).
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY packages packages
RUN find packages -mindepth 2 -maxdepth 2 ! -name package.json -exec rm -rf {} +

FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1 NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json ./
COPY --from=manifests /src/packages packages
RUN npm ci --no-audit --no-fund --include=dev
COPY tsconfig.base.json tsconfig.json turbo.json ./
COPY packages packages
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf .turbo packages/*/.turbo

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
# Runs as root: the worker role talks to /var/run/docker.sock, which is root-owned.
EXPOSE 8080
ENTRYPOINT ["node", "packages/cli/dist/bin.js"]
CMD ["--help"]
