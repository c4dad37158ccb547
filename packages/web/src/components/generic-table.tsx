import type { ReactNode } from 'react';
import { formatTime } from './format';

export interface Column<T> {
  label: string;
  render(row: T): ReactNode;
}

const DATE_KEY = /(_at|_seen)$/;

/** One value as a cell: dates as local times, lists joined, objects as compact JSON. */
export function cell(key: string, value: unknown): ReactNode {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string' && DATE_KEY.test(key)) return formatTime(value);
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) return value.join(', ');
  if (typeof value === 'object') return <code>{JSON.stringify(value)}</code>;
  return String(value);
}

/** Rows as a list table; on a phone each row becomes a card whose cells are labelled with their column. */
export function Table<T>({
  rows,
  columns,
  rowKey,
  testId,
}: {
  rows: T[];
  columns: Column<T>[];
  rowKey(row: T, i: number): string;
  testId?: string;
}) {
  return (
    <div className="table-scroll">
      <table className="list cards" data-testid={testId}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={rowKey(row, i)}>
              {columns.map((c) => (
                <td key={c.label} data-label={c.label}>
                  {c.render(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
