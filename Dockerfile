# syntax=docker/dockerfile:1
# WarmProspect Concierge: one image for the api (default CMD), the worker and migrations.
# No secrets are baked in: configuration comes from the environment at run time (.env.example).

# ---- build: all dependencies, TypeScript → dist/ ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The embeddable widget: esbuild bundles widget/src into dist/widget/widget.js (served as /widget.js).
COPY widget ./widget
# build.mjs skips the widget (with a warning) when esbuild is missing; an image must have it.
RUN npm run build && test -s dist/widget/widget.js

# ---- runtime: production dependencies only, non-root ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production
# Voice messages: ffmpeg transcodes uploads; pocketsphinx transcribes them offline.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg pocketsphinx pocketsphinx-en-us \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
# The official image's unprivileged user (uid 1000); the app only writes to the OS temp dir.
USER node
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "require('http').get({host:'127.0.0.1',port:process.env.PORT||4000,path:'/healthz',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"]
CMD ["node", "dist/src/main.js"]
