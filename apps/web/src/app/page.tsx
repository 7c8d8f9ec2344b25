import { Suspense } from 'react';
import { MapPage } from '../components/MapPage';

export default function Home() {
  return (
    <Suspense fallback={<p className="muted">Loading the cluster map…</p>}>
      <MapPage />
    </Suspense>
  );
}
