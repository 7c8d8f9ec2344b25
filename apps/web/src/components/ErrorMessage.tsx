'use client';

import Link from 'next/link';

interface TrpcLikeError {
  message: string;
  data?: { code?: string; httpStatus?: number } | null;
}

/** A clear message on the page for anything that went wrong: never a blank page. */
export function ErrorMessage({ title, error, messages }: { title: string; error?: TrpcLikeError | null; messages?: string[] }) {
  const code = error?.data?.code;
  const lines = messages ?? (error ? [friendly(error)] : []);
  return (
    <div role="alert" className="error-box" data-testid="error">
      <h2>{title}</h2>
      {lines.map((l) => (
        <p key={l}>{l}</p>
      ))}
      {code && code !== 'NOT_FOUND' && code !== 'BAD_REQUEST' ? <p className="muted">({code})</p> : null}
      <p>
        <Link href="/">Back to the cluster map</Link>
      </p>
    </div>
  );
}

function friendly(error: TrpcLikeError): string {
  // zod input errors arrive as a JSON list of issues; show their messages, not the JSON.
  if (error.data?.code === 'BAD_REQUEST' && error.message.startsWith('[')) {
    try {
      const issues = JSON.parse(error.message) as { path?: (string | number)[]; message: string }[];
      return issues.map((i) => `${(i.path ?? []).join('.') || 'input'}: ${i.message}`).join('; ');
    } catch {
      return error.message;
    }
  }
  if (error.message === 'Failed to fetch') return 'The Patchbay server cannot be reached. Is `patchbay serve` still running?';
  return error.message;
}

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="muted">
      Loading {what}…
    </p>
  );
}
