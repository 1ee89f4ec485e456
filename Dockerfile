# syntax=docker/dockerfile:1
# Switchboard's image (docs/deployment.md):
#   docker build -t switchboard .
#   docker run -p 8000:8000 -e SWITCHBOARD_API_KEY=sk-pick-a-secret -v switchboard-data:/data switchboard
# The build stage compiles and packs the package exactly as `npm pack` ships it; the runtime stage
# installs that tarball with the lockfile's production dependencies and nothing else.

# Node's major version, for both stages (the package supports ^20.18.1 and >=22).
ARG NODE_MAJOR=22

FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /src
# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && mkdir /pkg \
 && npm pack --pack-destination /pkg \
 && cp package-lock.json /pkg/

FROM node:${NODE_MAJOR}-bookworm-slim AS runtime
ENV NODE_ENV=production
# The packed tarball, unpacked into /app, with the locked production dependencies (a tarball
# carries no lockfile: `npm install -g` of it would float every dependency within its range).
COPY --from=build /pkg/ /tmp/pkg/
RUN mkdir /app \
 && tar -xzf /tmp/pkg/switchboard-*.tgz -C /app --strip-components=1 \
 && cp /tmp/pkg/package-lock.json /app/ \
 && cd /app \
 && npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && rm -rf /tmp/pkg \
 && chmod 0755 /app/dist/core/main.js \
 && ln -s /app/dist/core/main.js /usr/local/bin/switchboard \
 && mkdir -p /data /config \
 && chown node:node /data

# Listen on every interface (the container's network is the boundary; set client keys with
# SWITCHBOARD_API_KEY). State lives in /data. The memory settings are `npm start`'s
# (docs/performance.md): fewer glibc arenas, a 16 MB young generation.
ENV HOST=0.0.0.0 \
    SWITCHBOARD_DATA_DIR=/data \
    MALLOC_ARENA_MAX=2 \
    NODE_OPTIONS=--max-semi-space-size=8

# A config mounted at /config/config.yaml is read (it is ./config.yaml here); without one the
# bundled config runs, driven by the environment. SWITCHBOARD_CONFIG names another file.
WORKDIR /config
VOLUME /data
EXPOSE 8000
USER node

# Liveness, with node itself (the slim image has no curl). PORT, when set, moves the port.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# SIGTERM drains (server.shutdownGraceMs, 10 s by default): give `docker stop` more than that
# (--stop-timeout 15; compose: stop_grace_period). SIGHUP reloads the config.
STOPSIGNAL SIGTERM
CMD ["switchboard"]
