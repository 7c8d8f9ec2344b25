'use client';

import { useState } from 'react';
import { trpc } from '../lib/trpc';

/** Listens to the server's update stream (SSE); refreshes data on a reload and says when one was refused. */
export function UpdatesBanner() {
  const utils = trpc.useUtils();
  const [status, setStatus] = useState<{ kind: 'info' | 'warn'; text: string } | null>(null);
  const [generation, setGeneration] = useState<number | null>(null);
  trpc.updates.useSubscription(undefined, {
    onData(e) {
      if (e.type === 'hello') {
        if (generation !== null && e.generation !== generation) void utils.invalidate();
        setGeneration(e.generation);
        if (e.error) setStatus({ kind: 'warn', text: `The last reload was refused (${e.error.message}); showing the last good state.` });
        return;
      }
      setGeneration(e.generation);
      if (e.type === 'loaded') {
        setStatus({ kind: 'info', text: `The source was reloaded (generation ${e.generation}).` });
        void utils.invalidate();
      } else {
        setStatus({ kind: 'warn', text: `A reload was refused: ${e.error?.message ?? 'unknown reason'}. Still showing generation ${e.generation}.` });
      }
    },
  });
  if (!status) return null;
  return (
    <div className={`banner banner-${status.kind}`} role="status">
      {status.text}{' '}
      <button type="button" onClick={() => setStatus(null)}>
        Dismiss
      </button>
    </div>
  );
}
