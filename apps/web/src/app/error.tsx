'use client';

import Link from 'next/link';

// Anything a view throws lands here with its message: never a blank page.
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <div role="alert" className="error-box" data-testid="error">
      <h2>This view failed</h2>
      <p>{error.message || 'An unexpected error happened.'}</p>
      <p>
        <button type="button" onClick={reset}>
          Try again
        </button>{' '}
        <Link href="/">Back to the cluster map</Link>
      </p>
    </div>
  );
}
