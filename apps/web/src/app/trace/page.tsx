import { Suspense } from 'react';
import { TracePage } from '../../components/TracePage';

export default function Page() {
  return (
    <Suspense fallback={<p className="muted">Loading…</p>}>
      <TracePage />
    </Suspense>
  );
}
