# The patchbay agent image: `patchbay-agent serve` on every node (DaemonSet, host network, read-only).
# Build from the repository root:  docker build -f docker/agent.Dockerfile -t patchbay/agent .
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && npx turbo run build --filter=@patchbay/agent... --output-logs=errors-only \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# The tools whose output the agent ships: iproute2 (ip, bridge), both iptables backends, nft, ipvsadm, ipset.
# lsns and nsenter come with util-linux, which Debian always installs (Essential).
RUN apt-get update \
 && apt-get install -y --no-install-recommends iproute2 iptables nftables ipvsadm ipset \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages/schema ./packages/schema
COPY --from=build /src/apps/agent ./apps/agent
EXPOSE 9465
ENTRYPOINT ["node", "apps/agent/bin/patchbay-agent.mjs"]
# Loopback unless told otherwise: serving on another address needs --token-file (the DaemonSet passes the node's
# address and the Secret's token file), since a snapshot is the node's whole network wiring.
CMD ["serve"]
