# syntax=docker/dockerfile:1
# One image, vgpu-twin, for every service; the command says which (the entry point is `node`):
#   docker build -t vgpu-twin:0.1.0 .
#   docker run -p 8080:8080 vgpu-twin:0.1.0                    # all-in-one with the demo simulator
#   docker run -p 8080:8080 -v vgpu-data:/data vgpu-twin:0.1.0 dist/apps/cli/src/main.js start --no-simulator
#   docker run vgpu-twin:0.1.0 dist/apps/ingest/src/main.js    # ingest :8081 (twin :8083, notifier :8082,
#                                                              #   simulator: dist/apps/<service>/src/main.js)
#   docker run --entrypoint vgpu-twin vgpu-twin:0.1.0 --help   # the command line (replay, model, sim …)
# deploy/compose/compose.yaml and deploy/k8s/ run it so. Health: GET /health/live and /health/ready on
# each service's port (no HEALTHCHECK here: the port depends on the command).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# better-sqlite3 installs a prebuilt binary where one exists for the platform; else it compiles.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The dependencies first, so that a change of the sources reuses this layer. `--ignore-scripts`
# holds back `prepare` (the build, which needs the sources); the rebuild runs better-sqlite3's install.
COPY package.json package-lock.json ./
COPY apps/cli/package.json apps/cli/
COPY apps/cli/bin apps/cli/bin
RUN npm install --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3
COPY . .
RUN npm run build \
  && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
  VGPU_TWIN_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/apps/cli/package.json apps/cli/
COPY --from=build /app/apps/cli/bin apps/cli/bin
# The shipped interference model: TWIN_MODEL's default, found by walking up from dist/apps/twin/src.
COPY --from=build /app/models/default models/default
# /data: the embedded log and SQLite snapshots. No VOLUME: the Kafka services write nothing there;
# mount a volume where it matters (compose, the k8s embedded overlay).
RUN mkdir /data && chown node:node /data \
  && ln -s /app/apps/cli/bin/vgpu-twin.js /usr/local/bin/vgpu-twin
USER node
EXPOSE 8080 8081 8082 8083
ENTRYPOINT ["node"]
CMD ["dist/apps/cli/src/main.js", "start"]
