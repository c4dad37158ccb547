import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';

export const PageQuery = {
  page: Type.Optional(Type.Integer({ minimum: 1, default: 1 })),
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 25 })),
};

/** The list envelope of spec/api.md §5. */
export function listEnvelope<T>(request: FastifyRequest, rows: T[], total: number, page: number, perPage: number) {
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const url = new URL(request.url, 'http://x');
  const link = (p: number) => {
    url.searchParams.set('page', String(p));
    return `${url.pathname}?${url.searchParams.toString()}`;
  };
  return {
    data: rows,
    meta: { current_page: page, per_page: perPage, total, last_page: lastPage },
    links: { first: link(1), last: link(lastPage), prev: page > 1 ? link(page - 1) : null, next: page < lastPage ? link(page + 1) : null },
  };
}

/** `filter[status]=a,b` arrives as `filter[status]` keys; this collects them into lists. */
export function readFilters(query: Record<string, unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(query)) {
    const m = /^filter\[([a-z_]+)\]$/.exec(key);
    if (!m?.[1]) continue;
    const values = (Array.isArray(value) ? value : [value])
      .flatMap((v) => String(v).split(','))
      .map((v) => v.trim())
      .filter(Boolean);
    out[m[1]] = values;
  }
  return out;
}
