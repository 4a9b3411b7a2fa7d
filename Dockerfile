# syntax=docker/dockerfile:1
# The bot's image: build with dev dependencies, run with production ones only, as the `node` user.
#
#   docker build -t aws-user .
#   docker run --stop-timeout 40 -p 3000:3000 --env-file .env \
#     -v "$PWD/config.yml:/config/config.yml:ro" -v aws-user-data:/data aws-user
#
# These machines cannot pull base images, so the image is not built here: test/deploy/container.test.ts
# checks this file, and test/deploy/production-install.test.ts makes the production-deps stage's install
# for real and runs the bot and the CLI from it.

# The Node 22 release CI tests on (scripts/with-node.sh --pinned 22). All three stages use it: better-sqlite3
# is compiled in production-deps and loaded in runtime, so their Node (ABI) and Debian (glibc) must match.
ARG NODE_VERSION=22.23.5

# Dev dependencies and TypeScript → dist/. The full image has python3, make and g++ for node-gyp, which
# compiles better-sqlite3 from source (.npmrc: no prebuilt binary downloaded from outside the npm registry).
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
# Dependencies before sources: the layer with the native build is reused across source changes.
# scripts/prepare.mjs skips the build while src/ is not here yet; `npm run build` below makes it.
COPY package.json package-lock.json .npmrc ./
COPY scripts/prepare.mjs scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json config.example.yml manifest.yml ./
COPY src src
RUN npm run build

# The production install, exactly the command the production-install test makes (test/deploy/production.ts).
# prepare finds no TypeScript and a built dist/main.js, and skips the build.
FROM node:${NODE_VERSION}-bookworm AS production-deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY scripts/prepare.mjs scripts/
COPY --from=build /app/dist dist
RUN npm ci --omit=dev --prefer-offline --no-audit --no-fund

# Node and the production tree only: no compiler, no dev dependencies, no sources, no npm cache.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# DATA_DIR: the embedded store (SQLite), used when REDIS_URL is unset. AWS_USER_CONFIG: mount the config
# file there, read-only; it holds no secrets (those come from the environment) but is the bot's policy.
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data \
    AWS_USER_CONFIG=/config/config.yml
WORKDIR /app
COPY --from=production-deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/package.json /app/config.example.yml /app/manifest.yml ./
# Owned by node before it becomes a volume: a new named volume takes this folder's owner, so the bot can
# write its SQLite file there. The application files stay root's, read-only to the bot.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 3000
# Slim has no curl: a tiny node script GETs /healthz on PORT (HTTP and Socket Mode both serve it).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "dist/healthcheck.js"]
# Exec form, node as PID 1 with no npm or shell in between: SIGTERM reaches the bot, which stops taking
# work and lets running work finish for SHUTDOWN_GRACE_SECONDS (25 s by default), then up to 10 s more to
# close. Docker's default stop timeout is 10 s before SIGKILL: run with --stop-timeout 40 (docker stop -t 40;
# compose.yaml sets stop_grace_period).
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
