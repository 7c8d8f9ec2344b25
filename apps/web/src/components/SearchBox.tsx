'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useId, useRef, useState } from 'react';
import { nodeHref, podKeyHref, serviceKeyHref } from '../lib/routes';
import { trpc, type SearchHitData } from '../lib/trpc';

export function hitHref(hit: SearchHitData): string | null {
  switch (hit.kind) {
    case 'pod':
      return podKeyHref(hit.key);
    case 'service':
      return serviceKeyHref(hit.key);
    case 'node':
      return nodeHref(hit.key);
    case 'ip':
      if (!hit.owner) return null;
      return hit.owner.kind === 'pod' ? podKeyHref(hit.owner.key) : hit.owner.kind === 'service' ? serviceKeyHref(hit.owner.key) : nodeHref(hit.owner.key);
  }
}

export function useDebounced<T>(value: T, ms: number): T {
  const [v, set] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => set(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

interface SearchBoxProps {
  /** What choosing a hit does; by default it opens the hit's page. */
  onChoose?: (hit: SearchHitData) => void;
  label?: string;
  placeholder?: string;
  /** "/" focuses this box from anywhere (only the header's box). */
  shortcut?: boolean;
  testId?: string;
}

/** Search by pod, IP, service or node. Arrows and Enter choose. */
export function SearchBox({ onChoose, label = 'Search pods, IPs, services and nodes', placeholder = 'Search pod, IP, service, node  ( / )', shortcut = true, testId = 'global-search' }: SearchBoxProps = {}) {
  const router = useRouter();
  const [q, setQ] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const input = useRef<HTMLInputElement>(null);
  const listId = useId();
  const debounced = useDebounced(q, 150);
  const hits = trpc.search.useQuery({ q: debounced, limit: 12 }, { enabled: debounced.trim().length > 0 });
  const items = (hits.data ?? []).filter((h) => hitHref(h) !== null);

  useEffect(() => {
    if (!shortcut) return;
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      const typing = t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
      if (e.key === '/' && !typing) {
        e.preventDefault();
        input.current?.focus();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [shortcut]);

  const go = (hit: SearchHitData | undefined) => {
    if (!hit) return;
    setOpen(false);
    setQ('');
    if (onChoose) return onChoose(hit);
    const href = hitHref(hit);
    if (href) router.push(href);
  };

  return (
    <div className="search" role="search">
      <label htmlFor={`${listId}-input`} className="sr-only">
        {label}
      </label>
      <input
        id={`${listId}-input`}
        ref={input}
        type="search"
        role="combobox"
        aria-expanded={open && items.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={open && items[active] ? `${listId}-${active}` : undefined}
        placeholder={placeholder}
        value={q}
        data-testid={testId}
        onChange={(e) => {
          setQ(e.target.value);
          setOpen(true);
          setActive(0);
        }}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setActive((a) => Math.min(a + 1, items.length - 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === 'Enter') {
            e.preventDefault();
            go(items[active]);
          } else if (e.key === 'Escape') {
            setOpen(false);
          }
        }}
      />
      {open && q.trim() && (
        <ul id={listId} role="listbox" className="search-results">
          {items.length === 0 ? (
            <li className="muted" role="option" aria-selected={false} aria-disabled>
              {hits.isFetching ? 'Searching…' : 'No match'}
            </li>
          ) : (
            items.map((h, i) => (
              <li
                key={`${h.kind}/${h.key}`}
                id={`${listId}-${i}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? 'active' : ''}
                onMouseDown={(e) => {
                  e.preventDefault();
                  go(h);
                }}
              >
                <span className={`kind kind-${h.kind}`}>{h.kind}</span> {h.label} <span className="muted">{h.detail}</span>
              </li>
            ))
          )}
        </ul>
      )}
    </div>
  );
}
