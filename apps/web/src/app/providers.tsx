'use client';

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { httpBatchLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { useState, type ReactNode } from 'react';
import { batchLinkOptions, trpc } from '../lib/trpc';

function apiUrl(): string {
  // Same origin: the server serves the UI and the API on one port.
  return typeof window === 'undefined' ? 'http://localhost/api/trpc' : `${window.location.origin}/api/trpc`;
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        defaultOptions: {
          queries: {
            // Data changes when the source reloads; the update stream invalidates queries then.
            staleTime: Infinity,
            refetchOnWindowFocus: false,
            retry: (count, err) => {
              const code = (err as { data?: { code?: string } }).data?.code;
              return code !== 'NOT_FOUND' && code !== 'BAD_REQUEST' && count < 2;
            },
          },
        },
      }),
  );
  const [client] = useState(() =>
    trpc.createClient({
      links: [
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: httpSubscriptionLink({ url: apiUrl() }),
          false: httpBatchLink({ url: apiUrl(), ...batchLinkOptions }),
        }),
      ],
    }),
  );
  return (
    <trpc.Provider client={client} queryClient={queryClient}>
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </trpc.Provider>
  );
}
