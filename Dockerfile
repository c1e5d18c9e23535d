# One image, three roles: the demo API (producer only), a Celeriac worker, and beat.
#   podman build -t celeriac .            (or docker build)
#   podman run -e CELERIAC_ROLE=worker -e CELERIAC_BROKER=redis://… celeriac
# The role comes from CELERIAC_ROLE (api | worker | beat, default worker) or the first argument.
# Without a registry, build on a local base: deploy/podman/build-node-base.sh, then
#   --build-arg NODE_IMAGE=localhost/celeriac-node-base:<node version>   (docs/deployment.md)
ARG NODE_IMAGE=node:20-bookworm-slim
# The runtime stage's base: the same by default; any image with `node` on PATH works (npm is
# not needed at run time; deploy/podman/build-node-base.sh --without-npm makes one).
ARG RUNTIME_IMAGE=${NODE_IMAGE}

# --- build: every dependency, compile the library and the apps -------------------------------
FROM ${NODE_IMAGE} AS build
# npm settings (registry mirror, CA file, prefer-offline) come from a mounted /root/.npmrc and
# the npm cache from /root/.npm: podman build -v ~/.npmrc:/root/.npmrc:ro -v ~/.npm:/root/.npm
WORKDIR /src
COPY package.json package-lock.json ./
COPY libs/task-queue/package.json libs/task-queue/
COPY libs/dashboard/package.json libs/dashboard/
# Scripts off: the root `prepare` builds, and the sources are not here yet.
RUN ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
COPY tsconfig.base.json tsconfig.build.json ./
COPY libs/task-queue libs/task-queue
COPY libs/dashboard libs/dashboard
COPY apps apps
RUN ["npm", "run", "build"]

# --- prod-deps: runtime dependencies only -----------------------------------------------------
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /src
COPY package.json package-lock.json ./
COPY libs/task-queue/package.json libs/task-queue/
COPY libs/dashboard/package.json libs/dashboard/
RUN ["npm", "ci", "--omit=dev", "--omit=optional", "--ignore-scripts", "--no-audit", "--no-fund"]

# --- runtime ------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime
# --max-semi-space-size=4: fewer scavenges under task churn (docs/deployment.md, memory).
# HOST: the HTTP servers listen on every interface inside the container.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=4 \
    CELERIAC_ROLE=worker \
    HOST=0.0.0.0
WORKDIR /app
COPY package.json ./
COPY --from=prod-deps /src/node_modules node_modules
COPY --from=build /src/libs/task-queue/package.json libs/task-queue/
COPY --from=build /src/libs/task-queue/bin libs/task-queue/bin
COPY --from=build /src/libs/task-queue/dist libs/task-queue/dist
COPY --from=build /src/libs/dashboard/package.json libs/dashboard/
COPY --from=build /src/libs/dashboard/dist libs/dashboard/dist
COPY --from=build /src/libs/dashboard/assets libs/dashboard/assets
COPY --from=build /src/dist/apps/demo dist/apps/demo
COPY deploy/docker/role.mjs deploy/docker/healthcheck.mjs deploy/docker/
# Files stay owned by root and read-only to the app; it runs as the unprivileged uid 1000
# (numeric, so Kubernetes' runAsNonRoot can verify it).
USER 1000:1000
EXPOSE 3000
# Node is PID 1 and handles SIGTERM itself (handleShutdownSignals): stop fetching, drain within
# shutdownTimeout, requeue the rest, exit 0. No init process in between (docs/deployment.md).
STOPSIGNAL SIGTERM
# An exec probe: GET /health/live on CELERIAC_HTTP_PORT (worker, beat) or PORT (api).
# Docker honours it; podman only with --format docker; Kubernetes uses its own probes.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "deploy/docker/healthcheck.mjs"]
ENTRYPOINT ["node", "deploy/docker/role.mjs"]
