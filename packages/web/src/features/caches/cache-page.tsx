import { useState } from 'react';
import { request } from '../../api/client';
import type { List } from '../../api/types';
import { CopyableId } from '../../components/copy-button';
import { ErrorMessage } from '../../components/error-message';
import { formatTime } from '../../components/format';
import { type Column, cell, Table } from '../../components/generic-table';
import { Pager } from '../../components/pager';
import { useAction } from '../../components/use-action';
import { useAsync } from '../../components/use-async';
import { useCanWrite } from '../../components/use-can-write';
import { Link, navigate } from '../../router';

interface Cache {
  id: string;
  name: string;
  scope: string;
  scope_id: string | null;
  entries: number;
  bytes: number;
  updated_at: string;
}
interface Entry {
  key: string;
  format: string;
  bytes: number;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  content?: unknown;
}

const enc = encodeURIComponent;

/** A cache: its entries by key, each one's content on demand; remove an entry or clear the cache. */
export function CachePage({ cacheId }: { cacheId: string }) {
  const canWrite = useCanWrite();
  const [page, setPage] = useState(1);
  const cache = useAsync(() => request<{ data: Cache }>(`/caches/${enc(cacheId)}`).then((r) => r.data), [cacheId]);
  const entries = useAsync(
    () => request<List<Entry>>(`/caches/${enc(cacheId)}/entries`, { query: { page, per_page: 25 } }),
    [cacheId, page],
  );
  const [shown, setShown] = useState<Entry | null>(null);
  const { act, error, notice } = useAction();

  if (!cache.data)
    return cache.error ? <ErrorMessage error={cache.error} title="The cache could not be loaded" /> : <p className="muted">Loading…</p>;
  const c = cache.data;
  const list = entries.data?.data ?? [];

  const show = (key: string) =>
    act(async () => {
      setShown((await request<{ data: Entry }>(`/caches/${enc(c.id)}/entries/${enc(key)}`)).data);
      return '';
    });
  const removeEntry = (key: string) =>
    act(async () => {
      await request(`/caches/${enc(c.id)}/entries/${enc(key)}`, { method: 'DELETE' });
      if (shown?.key === key) setShown(null);
      cache.reload();
      entries.reload();
      return `Removed the entry ${key}.`;
    });
  const clear = () =>
    act(async () => {
      if (!window.confirm(`Clear the cache "${c.name}"? Every entry goes.`)) return '';
      await request(`/caches/${enc(c.id)}`, { method: 'DELETE' });
      navigate('/caches');
      return '';
    });
  const columns: Column<Entry>[] = [
    { label: 'Key', render: (e) => <code>{e.key}</code> },
    { label: 'Format', render: (e) => cell('format', e.format) },
    { label: 'Bytes', render: (e) => cell('bytes', e.bytes) },
    { label: 'Changed', render: (e) => cell('updated_at', e.updated_at) },
    // No expiry is a fact about the entry, not a missing value: say so rather than show a dash.
    { label: 'Expires', render: (e) => (e.expires_at ? cell('expires_at', e.expires_at) : 'never') },
    {
      label: 'Actions',
      render: (e) => (
        <div className="row">
          <button type="button" onClick={() => void show(e.key)} aria-label={`Show ${e.key}`}>
            Show
          </button>
          {canWrite ? (
            <button type="button" className="danger" onClick={() => void removeEntry(e.key)} aria-label={`Remove ${e.key}`}>
              Remove
            </button>
          ) : null}
        </div>
      ),
    },
  ];

  return (
    <main>
      <p className="flow-id">
        <span>Cache id</span> <CopyableId id={c.id} label="cache id" />
      </p>
      <div className="page-head">
        <h1>{c.name}</h1>
        <div className="row">
          <Link to="/caches">All caches</Link>
          {canWrite ? (
            <button type="button" className="danger" onClick={() => void clear()}>
              Clear cache
            </button>
          ) : null}
        </div>
      </div>
      <p className="muted">
        Scope {c.scope}
        {c.scope_id ? ` (${c.scope_id})` : ''} · {c.entries} entries · {c.bytes} bytes · changed {formatTime(c.updated_at)}
      </p>
      <ErrorMessage error={error} />
      <p role="status" className="notice">
        {notice}
      </p>
      <h2>Entries</h2>
      <ErrorMessage error={entries.error} title="The entries could not be loaded" />
      {entries.data && list.length === 0 ? <p className="empty">The cache is empty: a cache_add step fills it when a run passes.</p> : null}
      {list.length > 0 ? <Table rows={list} columns={columns} rowKey={(e) => e.key} testId="cache-entries" /> : null}
      <Pager meta={entries.data?.meta} onPage={setPage} label="Entries" />
      {shown ? (
        <section className="card" aria-label={`Content of ${shown.key}`}>
          <h3>
            Content of <code>{shown.key}</code>
          </h3>
          <pre className="code output">{typeof shown.content === 'string' ? shown.content : JSON.stringify(shown.content, null, 2)}</pre>
        </section>
      ) : null}
    </main>
  );
}
