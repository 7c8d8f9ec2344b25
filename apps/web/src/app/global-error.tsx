'use client';

export default function GlobalError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', padding: 16 }}>
        <div role="alert" data-testid="error">
          <h2>Patchbay failed to show this page</h2>
          <p>{error.message || 'An unexpected error happened.'}</p>
          <button type="button" onClick={reset}>
            Try again
          </button>{' '}
          <a href="/">Back to the cluster map</a>
        </div>
      </body>
    </html>
  );
}
