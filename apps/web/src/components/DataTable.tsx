'use client';

import { useId, useMemo, useState, type ReactNode } from 'react';
import { CopyButton } from './CopyButton';

// A real <table> that can be filtered and copied as tab-separated text (pastes into a terminal note or a sheet).

export interface Column<T> {
  header: string;
  /** Plain text of the cell: what filtering matches and copying writes. */
  text: (row: T) => string;
  /** Rich cell content (links); defaults to the text. */
  cell?: (row: T) => ReactNode;
  className?: string;
}

export function DataTable<T>({ caption, rows, columns, rowKey, empty = 'None.', testId }: { caption: string; rows: T[]; columns: Column<T>[]; rowKey: (row: T) => string; empty?: string; testId?: string }) {
  const [filter, setFilter] = useState('');
  const id = useId();
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    if (!f) return rows;
    return rows.filter((r) => columns.some((c) => c.text(r).toLowerCase().includes(f)));
  }, [rows, columns, filter]);
  const tsv = () => [columns.map((c) => c.header).join('\t'), ...shown.map((r) => columns.map((c) => c.text(r)).join('\t'))].join('\n');
  return (
    <section className="table-section" data-testid={testId}>
      <div className="table-tools">
        <label htmlFor={id}>Filter {caption.toLowerCase()}</label>
        <input id={id} type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="text in any column" />
        <CopyButton label="Copy as text" text={tsv} />
        <span className="muted">
          {shown.length === rows.length ? `${rows.length} rows` : `${shown.length} of ${rows.length} rows`}
        </span>
      </div>
      <div className="table-scroll">
        <table>
          <caption>{caption}</caption>
          <thead>
            <tr>
              {columns.map((c) => (
                <th scope="col" key={c.header}>
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.length === 0 ? (
              <tr>
                <td colSpan={columns.length} className="muted">
                  {rows.length === 0 ? empty : 'No row matches the filter.'}
                </td>
              </tr>
            ) : (
              shown.map((r) => (
                <tr key={rowKey(r)}>
                  {columns.map((c) => (
                    <td key={c.header} className={c.className}>
                      {c.cell ? c.cell(r) : c.text(r)}
                    </td>
                  ))}
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
