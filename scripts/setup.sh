#!/usr/bin/env bash
# jobfleet set-up: machine prerequisites + workspace build.  Run: npm run setup
#
# Steps (each prints "==> ..." when it does work and "ok: ..." when done):
#   prerequisites  Debian/Ubuntu + root: find what is missing. Otherwise: print what
#                  to install and stop, unless everything is already there.
#   apt            install the missing ones among docker.io, redis-server, redis-sentinel, busybox-static,
#                  openssl, python3-kubernetes
#   docker         start dockerd when `docker info` does not answer (wait up to 30 s)
#   busybox-image  make sure busybox:latest exists: pull (20 s max), else build it
#                  from images/busybox/Dockerfile and the host's static busybox
#   npm-install    npm ci (npm install without a lockfile), skipped when node_modules
#                  matches the lockfile and manifests (hash in node_modules/.jobfleet-lock-hash)
#   build          npm run build
#   images         the local images docker-compose.yml runs (scripts/build-images.sh; skips current ones)
# Idempotent: on a ready machine it only checks things and runs the (cached) build.
# shellcheck source-path=SCRIPTDIR
set -Eeuo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/common.sh
. "$SCRIPT_DIR/lib/common.sh"
# shellcheck source=lib/busybox-image.sh
. "$SCRIPT_DIR/lib/busybox-image.sh"
install_err_trap
cd "$JOBFLEET_REPO_ROOT"

export TURBO_TELEMETRY_DISABLED=${TURBO_TELEMETRY_DISABLED:-1}
APT_PACKAGES_WANTED="docker.io docker-compose redis-server busybox-static openssl python3-kubernetes chromium prometheus"
BUSYBOX_IMAGE=${JOBFLEET_BUSYBOX_IMAGE:-busybox:latest}   # override only to test the build path
DOCKERD_LOG=/var/log/jobfleet-dockerd.log
DOCKERD_WAIT=30
REDIS_MIN=6.2
NODE_MIN=20
LOCK_HASH_FILE=node_modules/.jobfleet-lock-hash
started=$SECONDS

# ---------------------------------------------------------------- prerequisites
step prerequisites
say "checking prerequisites"

is_root=false;   [ "$(id -u)" -eq 0 ] && is_root=true
is_debian=false; [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1 && is_debian=true
can_apt=false;   $is_root && $is_debian && can_apt=true

redis_version() { redis-server --version 2>/dev/null | sed -n 's/.* v=\([0-9][0-9.]*\).*/\1/p'; }

missing_pkgs=()   # Debian packages to install
missing_what=()   # what is missing, for humans

# Docker: an engine that answers, or (as root) the docker CLI + dockerd to start.
if docker_answers; then
  ok "docker installed"
elif command -v docker >/dev/null 2>&1 && command -v dockerd >/dev/null 2>&1 && $is_root; then
  ok "docker and dockerd installed (engine not running yet)"
elif command -v docker >/dev/null 2>&1 && ! $is_root; then
  missing_what+=("a running Docker Engine usable by $(id -un): 'docker info' does not answer (start it, or add $(id -un) to the docker group)")
else
  missing_pkgs+=(docker.io)
  missing_what+=("Docker Engine (docker CLI + dockerd)")
fi

# redis-server >= 6.2: only the binary is used (tests start their own servers).
rv=$(redis_version || true)
if [ -n "$rv" ] && version_ge "$rv" "$REDIS_MIN"; then
  ok "redis-server $rv"
else
  missing_pkgs+=(redis-server)
  missing_what+=("redis-server >= $REDIS_MIN${rv:+ (found $rv)}")
fi

# busybox: the image, or a static busybox binary to build it from.
if docker_answers && image_exists "$BUSYBOX_IMAGE"; then
  ok "image $BUSYBOX_IMAGE present"
elif bb=$(find_static_busybox); then
  ok "static busybox at $bb"
else
  missing_pkgs+=(busybox-static)
  missing_what+=("a busybox image ($BUSYBOX_IMAGE), or a static busybox binary to build it from")
fi

# openssl: the tests make throwaway TLS certificates with it (https API, kubectl with a token).
if command -v openssl >/dev/null 2>&1; then
  ok "openssl installed"
else
  missing_pkgs+=(openssl)
  missing_what+=("openssl (the tests make TLS certificates with it)")
fi

# The official Python client (Debian's python3-kubernetes, for Debian's /usr/bin/python3): the client
# tests drive it against a real fleet (packages/e2e/src/clients/python-client.test.ts).
if /usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1; then
  ok "python3-kubernetes $(/usr/bin/python3 -c 'import kubernetes; print(kubernetes.__version__)' 2>/dev/null)"
else
  missing_pkgs+=(python3-kubernetes)
  missing_what+=("the Kubernetes Python client for /usr/bin/python3 (python3-kubernetes; the client tests use it)")
fi

# redis-sentinel (Debian's package of the same binary in Sentinel mode): the failover test runs a Sentinel
# set (packages/e2e/src/failover/sentinel.test.ts).
if command -v redis-sentinel >/dev/null 2>&1; then
  ok "redis-sentinel installed"
else
  missing_pkgs+=(redis-sentinel)
  missing_what+=("redis-sentinel (the Redis failover test runs a Sentinel set)")
fi

# docker-compose (Debian's 1.29, or compose v2 as `docker compose`): the compose test runs docker-compose.yml
# (packages/e2e/src/compose/compose.test.ts).
if command -v docker-compose >/dev/null 2>&1 || docker compose version >/dev/null 2>&1; then
  ok "docker-compose installed"
else
  missing_pkgs+=(docker-compose)
  missing_what+=("docker-compose (the compose test brings up docker-compose.yml)")
fi

# prometheus (Debian's Prometheus server): the metrics test scrapes a fleet with it and asks its HTTP API
# (packages/e2e/src/observability/metrics.test.ts).
if command -v prometheus >/dev/null 2>&1; then
  ok "prometheus installed"
else
  missing_pkgs+=(prometheus)
  missing_what+=("prometheus (the metrics test scrapes the fleet with a real Prometheus server)")
fi

# chromium (Debian's, at /usr/bin/chromium): the dashboard test loads /ui in it, headless, through
# playwright-core, which downloads no browser (packages/e2e/src/observability/dashboard.test.ts).
if [ -x /usr/bin/chromium ]; then
  ok "chromium installed"
else
  missing_pkgs+=(chromium)
  missing_what+=("chromium (the dashboard test drives /usr/bin/chromium headless)")
fi

# Node.js >= 20 with npm: never installed by this script.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -ge "$NODE_MIN" ] && command -v npm >/dev/null 2>&1; then
  ok "node $(node -v), npm $(npm -v)"
else
  if [ "$node_major" -gt 0 ]; then missing_what+=("Node.js >= $NODE_MIN with npm (found $(node -v))")
  else missing_what+=("Node.js >= $NODE_MIN with npm"); fi
fi

print_requirements() {
  cat >&2 <<EOF

  jobfleet needs:
    - Docker Engine (20.10 or newer), running, and usable by this user: 'docker info' must answer
        Debian/Ubuntu: apt-get install docker.io   other systems: https://docs.docker.com/engine/install/
    - redis-server >= $REDIS_MIN on PATH (only the binary; the tests start their own servers on free ports)
        Debian/Ubuntu: apt-get install redis-server   macOS: brew install redis
    - redis-sentinel (the failover test)   Debian/Ubuntu: apt-get install redis-sentinel
    - chromium at /usr/bin/chromium (the dashboard test)   Debian/Ubuntu: apt-get install chromium
    - prometheus (the metrics test)   Debian/Ubuntu: apt-get install prometheus
    - Node.js $NODE_MIN with npm (Debian's own nodejs is too old: use NodeSource node_20.x, or nvm)
    - the Kubernetes Python client for /usr/bin/python3 (the client tests drive it)
        Debian/Ubuntu: apt-get install python3-kubernetes
    - a busybox image tagged $BUSYBOX_IMAGE:  docker pull busybox   (with a registry), or
        a statically linked busybox (Debian: busybox-static) and then: scripts/build-busybox-image.sh
        (set JOBFLEET_BUSYBOX_BIN=/path/to/busybox if it is not on PATH)
  On Debian/Ubuntu as root, npm run setup installs all but Node.js itself.
EOF
}

if [ ${#missing_what[@]} -gt 0 ]; then
  printf 'missing: %s\n' "${missing_what[@]}"
fi
if [ "$node_major" -lt "$NODE_MIN" ] || ! command -v npm >/dev/null 2>&1; then
  print_requirements
  die "Node.js >= $NODE_MIN with npm is required (this script does not install Node.js)" \
    "install Node.js 20 (NodeSource: https://github.com/nodesource/distributions, or nvm), then re-run: npm run setup"
fi
if [ ${#missing_what[@]} -gt 0 ] && ! $can_apt; then
  print_requirements
  if ! $is_debian; then
    die "prerequisites are missing and this is not a Debian/Ubuntu system with apt-get, so they cannot be installed automatically" \
      "install the missing items listed above, then re-run: npm run setup"
  fi
  die "prerequisites are missing and this script is not running as root, so it cannot install them" \
    "install the missing items listed above, or run 'sudo npm run setup' to have apt-get install them"
fi

# ---------------------------------------------------------------- apt
step apt
if [ ${#missing_pkgs[@]} -gt 0 ]; then
  say "installing ${missing_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
  apt-get update -qq \
    || die "apt-get update failed" "check network access to the Debian mirrors and /etc/apt/sources.list"
  apt-get install -y -qq -o Dpkg::Options::=--force-confold "${missing_pkgs[@]}" \
    || die "apt-get install ${missing_pkgs[*]} failed" "see the apt output above"
  # Re-check what apt was supposed to provide.
  rv=$(redis_version || true)
  [ -n "$rv" ] && version_ge "$rv" "$REDIS_MIN" \
    || die "redis-server ${rv:-not found} after apt-get install; need >= $REDIS_MIN" \
      "this distribution's redis-server is too old: install Redis >= $REDIS_MIN (e.g. packages.redis.io) and re-run"
  command -v docker >/dev/null 2>&1 && command -v dockerd >/dev/null 2>&1 \
    || die "docker/dockerd not found after apt-get install docker.io" "see the apt output above"
  ok "installed ${missing_pkgs[*]}"
else
  ok "nothing to install (wanted: $APT_PACKAGES_WANTED)"
fi

# ---------------------------------------------------------------- docker
step docker
if ! docker_answers; then
  if [ -n "${DOCKER_HOST:-}" ]; then
    die "DOCKER_HOST=$DOCKER_HOST does not answer 'docker info'" \
      "start that engine, or unset DOCKER_HOST to use (and start) the local dockerd"
  fi
  $is_root || die "the Docker engine does not answer and only root can start dockerd" \
    "start it (sudo systemctl start docker, or sudo dockerd &) or add $(id -un) to the docker group, then re-run"
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    say "starting docker (systemctl start docker)"
    systemctl start docker || warn "systemctl start docker failed; starting dockerd by hand"
  fi
  if ! docker_answers; then
    say "starting dockerd in the background (log: $DOCKERD_LOG)"
    setsid nohup dockerd </dev/null >"$DOCKERD_LOG" 2>&1 &
    dockerd_pid=$!
    for ((i = 0; i < DOCKERD_WAIT; i++)); do
      docker_answers && break
      if ! kill -0 "$dockerd_pid" 2>/dev/null && ! docker_answers; then
        tail -n 15 "$DOCKERD_LOG" | sed 's/^/    | /' >&2
        die "dockerd exited right after start (log: $DOCKERD_LOG)" \
          "read the log above; common causes: another dockerd/containerd already running, no iptables, no cgroups"
      fi
      sleep 1
    done
    if ! docker_answers; then
      tail -n 15 "$DOCKERD_LOG" | sed 's/^/    | /' >&2
      die "dockerd did not answer within ${DOCKERD_WAIT}s (log: $DOCKERD_LOG)" \
        "read the log above, fix the cause, then re-run: npm run setup"
    fi
  fi
fi
docker_version=$(docker_server_version || echo unknown)
ok "docker engine answers ($docker_version)"

# ---------------------------------------------------------------- busybox image
step busybox-image
busybox_state=present
if image_exists "$BUSYBOX_IMAGE"; then
  :
else
  say "pulling $BUSYBOX_IMAGE (20 s at most)"
  if timeout 20 docker pull "$BUSYBOX_IMAGE" >/dev/null 2>&1; then
    busybox_state=pulled
  else
    info "pull failed (no registry reachable?); building $BUSYBOX_IMAGE locally instead"
    build_busybox_image "$BUSYBOX_IMAGE"
    busybox_state=built
  fi
fi
# A container must start, and have what the tests use: /tmp, /etc/passwd (id, whoami).
busybox_check() {
  docker run --rm --network none "$BUSYBOX_IMAGE" \
    sh -c 'test -d /tmp && test -f /etc/passwd && whoami >/dev/null || exit 3' >/dev/null 2>&1
}
rc=0; busybox_check || rc=$?
if [ "$rc" -eq 3 ] && [ "$busybox_state" = present ] && find_static_busybox >/dev/null; then
  say "$BUSYBOX_IMAGE lacks /tmp or /etc/passwd (an older local build?); rebuilding it"
  build_busybox_image "$BUSYBOX_IMAGE"
  busybox_state=rebuilt
  rc=0; busybox_check || rc=$?
fi
if [ "$rc" -eq 3 ]; then
  warn "$BUSYBOX_IMAGE has no /tmp or /etc/passwd; tests that use them may fail (rebuild: scripts/build-busybox-image.sh)"
elif [ "$rc" -ne 0 ]; then
  die "a container from $BUSYBOX_IMAGE does not start ('docker run --rm $BUSYBOX_IMAGE true' failed, exit $rc)" \
    "run it by hand to see the error; check the dockerd log ($DOCKERD_LOG when started by this script)"
fi
busybox_label=$(docker image inspect --format '{{ index .Config.Labels "org.jobfleet.built-locally" }}' "$BUSYBOX_IMAGE" 2>/dev/null || true)
[ "$busybox_label" = true ] && [ "$busybox_state" = present ] && busybox_state="present, built locally"
ok "image $BUSYBOX_IMAGE $busybox_state; containers start"

# ---------------------------------------------------------------- npm install
step npm-install
# Hash of everything `npm ci` depends on: node version, lockfile and all manifests.
deps_hash() {
  local files=(package.json) f
  [ -f package-lock.json ] && files+=(package-lock.json)
  for f in packages/*/package.json; do [ -f "$f" ] && files+=("$f"); done
  { node -v; sha256sum "${files[@]}"; } | sha256sum | cut -c1-64
}
if [ -f package-lock.json ] && [ -d node_modules ] \
  && [ "$(cat "$LOCK_HASH_FILE" 2>/dev/null || true)" = "$(deps_hash)" ]; then
  deps_state="up to date"
  ok "node_modules up to date with package-lock.json"
else
  if [ -f package-lock.json ]; then
    say "npm ci"
    npm ci --no-audit --no-fund --include=dev \
      || die "npm ci failed" \
        "if npm says package.json and package-lock.json are out of sync: run 'npm install', commit package-lock.json, re-run" \
        "network errors: check access to the npm registry ($(npm config get registry 2>/dev/null || echo '?'))"
  else
    say "npm install (no package-lock.json yet)"
    npm install --no-audit --no-fund --include=dev || die "npm install failed" "see the npm output above"
  fi
  deps_hash >"$LOCK_HASH_FILE"
  deps_state=installed
  ok "dependencies installed"
fi

# ---------------------------------------------------------------- build
step build
say "npm run build"
npm run build \
  || die "npm run build failed" \
    "the errors above come from the TypeScript packages (packages/*), not from the machine set-up" \
    "fix them, then run 'npm run build' (or re-run 'npm run setup')"
ok "build succeeded"

# ---------------------------------------------------------------- images
step images
# Made from this host's node, redis-server and the build above (no registry); only what is not current.
"$SCRIPT_DIR/build-images.sh" || exit 1

step summary
say "setup complete in $((SECONDS - started))s: docker $docker_version, redis-server $rv, node $(node -v)," \
  "$BUSYBOX_IMAGE ($busybox_state), dependencies $deps_state, build ok"
