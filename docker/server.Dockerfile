# The patchbay server image: `patchbay serve` (dashboard UI and tRPC API on one port).
# Build from the repository root:  docker build -f docker/server.Dockerfile -t patchbay/server .
# It keeps the repository layout (apps/server beside apps/web) because the server finds the built web app there.
FROM node:20-bookworm-slim AS build
WORKDIR /src
ENV NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1
COPY . .
RUN npm ci --no-audit --no-fund \
 && npx turbo run build --filter=@patchbay/server... --filter=@patchbay/web... --output-logs=errors-only \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf apps/web/.next/cache

FROM node:20-bookworm-slim
WORKDIR /app
# HOST=0.0.0.0: in a container the port is reached through the container's address, not loopback (the server
# would pick 0.0.0.0 here anyway from /.dockerenv or KUBERNETES_SERVICE_HOST; this says it for every runtime).
# It answers only Host names it knows: localhost, the address a connection arrived on, and --allowed-host NAME
# (`docker run -p 8080:3000 patchbay/server` works at http://localhost:8080/; add
# `serve --bundle ... --allowed-host dash.example.org` to reach it by a name).
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PORT=3000 HOST=0.0.0.0
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages ./packages
COPY --from=build /src/apps/server ./apps/server
COPY --from=build /src/apps/web/package.json /src/apps/web/next.config.ts ./apps/web/
COPY --from=build /src/apps/web/.next ./apps/web/.next
# Unprivileged and read-only friendly: nothing is written at run time.
USER 65532:65532
EXPOSE 3000
# 127.0.0.1 is the address this connection arrives on, so the Host check accepts it.
HEALTHCHECK CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "apps/server/bin/patchbay.mjs"]
# The embedded demo by default; the Kubernetes manifest runs `serve --in-cluster` instead.
CMD ["serve", "--bundle", "apps/server/demo/bundle"]
