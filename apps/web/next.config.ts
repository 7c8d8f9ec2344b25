import type { NextConfig } from 'next';

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Workspace packages are consumed from their built dist; nothing to transpile.
  transpilePackages: [],
  // The server type-checks with tsc in CI; the lint step is the repository's eslint.
  typescript: { ignoreBuildErrors: false },
  productionBrowserSourceMaps: false,
};

export default config;
