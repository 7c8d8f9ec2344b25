'use client';

import Link from 'next/link';
import { useState } from 'react';
import { nodeHref } from '../lib/routes';
import { trpc, type Outputs } from '../lib/trpc';

/** The same two fields ride on every update event and in the summary. */
type Health = Pick<Outputs['summary'], 'staleNodes' | 'watchError'>;

/** How many stale nodes are named before "and N more" (a big cluster with many broken agents stays readable). */
const NAMED = 5;

/**
 * Listens to the server's update stream (SSE); refreshes data on a reload and says when one was refused. Below
 * that, for as long as it holds, it says which nodes are shown from their last good snapshot (their file is bad
 * now) and when changes to the source may be missed: stale data must never look fresh.
 */
export function UpdatesBanner() {
  const utils = trpc.useUtils();
  const [status, setStatus] = useState<{ kind: 'info' | 'warn'; text: string } | null>(null);
  const [generation, setGeneration] = useState<number | null>(null);
  const [health, setHealth] = useState<Health>({ staleNodes: [], watchError: null });
  trpc.updates.useSubscription(undefined, {
    onData(e) {
      setHealth({ staleNodes: e.staleNodes, watchError: e.watchError });
      if (e.type === 'watch') return;
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
  return (
    <>
      {status && (
        <div className={`banner banner-${status.kind}`} role="status">
          {status.text}{' '}
          <button type="button" onClick={() => setStatus(null)}>
            Dismiss
          </button>
        </div>
      )}
      {health.watchError && (
        <div className="banner banner-warn" role="status" data-testid="watch-error">
          Changes to the source may be missed: {health.watchError.message} (since {health.watchError.at}).
        </div>
      )}
      {health.staleNodes.length > 0 && <StaleNodes nodes={health.staleNodes} />}
    </>
  );
}

function StaleNodes({ nodes }: { nodes: Health['staleNodes'] }) {
  const named = nodes.slice(0, NAMED);
  return (
    <div className="banner banner-warn" role="status" data-testid="stale-nodes">
      {nodes.length === 1 ? '1 node is' : `${nodes.length} nodes are`} shown from an older snapshot because the new one is bad:{' '}
      {named.map((n, i) => {
        const first = n.problems[0];
        return (
          <span key={n.node}>
            {i > 0 ? '; ' : ''}
            <Link href={nodeHref(n.node)}>{n.node}</Link> (captured {n.servedCapturedAt}, file bad since {n.since}
            {first ? `: ${first.file}: ${first.path}: ${first.message}` : ''}
            {n.problems.length > 1 ? ` and ${n.problems.length - 1} more problem(s)` : ''})
          </span>
        );
      })}
      {nodes.length > NAMED ? `; and ${nodes.length - NAMED} more` : ''}.
    </div>
  );
}
