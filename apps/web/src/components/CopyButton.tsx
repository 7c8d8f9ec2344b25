'use client';

import { useState } from 'react';

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API needs a secure context; fall back to a hidden textarea.
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    const ok = document.execCommand('copy');
    ta.remove();
    return ok;
  }
}

export function CopyButton({ text, label }: { text: () => string; label: string }) {
  const [done, setDone] = useState<string | null>(null);
  return (
    <button
      type="button"
      onClick={async () => {
        const ok = await copyText(text());
        setDone(ok ? 'Copied' : 'Copy failed');
        setTimeout(() => setDone(null), 1500);
      }}
    >
      {done ?? label}
      <span className="sr-only" aria-live="polite">
        {done ?? ''}
      </span>
    </button>
  );
}

export function CopyLinkButton() {
  return <CopyButton label="Copy link" text={() => window.location.href} />;
}
