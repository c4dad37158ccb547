import { AppError } from '@weft/schema';
import { compilePath, getOne } from '../../paths/index.js';
import type { HttpResponse } from '../../services.js';
import type { EndpointPagination } from './endpoint.js';

export const DEFAULT_MAX_PAGES = 100;
const DEFAULT_PAGE_SIZE = 100;

/** Where a paged receive stands; one per request chain. */
export interface PageCursor {
  /** 1-based number of the page about to be fetched. */
  page: number;
  /** Records seen so far, for limit/offset. */
  offset: number;
}

/** The first page's URL: page number and limit/offset pages name their position from the start. */
export function firstPageUrl(pagination: EndpointPagination, url: URL): URL {
  const first = new URL(url);
  if (pagination.type === 'page_number') {
    first.searchParams.set(pagination.param ?? 'page', String(pagination.start ?? 1));
    if (pagination.size !== undefined) first.searchParams.set(pagination.size_param ?? 'per_page', String(pagination.size));
  } else if (pagination.type === 'limit_offset') {
    first.searchParams.set(pagination.param ?? 'offset', String(pagination.start ?? 0));
    first.searchParams.set(pagination.size_param ?? 'limit', String(pagination.size ?? DEFAULT_PAGE_SIZE));
  }
  return first;
}

/**
 * The URL of the page after `response`, or undefined when there is none: no next link, URL, token
 * or cursor (absent, null or ''), or an empty or short page for page number and limit/offset.
 * `firstUrl` is the first page's URL (its query carries the endpoint's own parameters).
 */
export function nextPageUrl(
  pagination: EndpointPagination,
  response: HttpResponse,
  current: URL,
  firstUrl: URL,
  pageNumber: number,
): URL | undefined {
  switch (pagination.type) {
    case 'link_header': {
      const link = nextLink(response.headers.link);
      return link === undefined ? undefined : sameOrigin(new URL(link, current), firstUrl);
    }
    case 'next_url': {
      const next = markerAt(response, pagination);
      return next === undefined ? undefined : sameOrigin(new URL(next, current), firstUrl);
    }
    case 'next_token':
    case 'cursor': {
      const marker = markerAt(response, pagination);
      if (marker === undefined) return undefined;
      const next = new URL(firstUrl);
      next.searchParams.set(pagination.param ?? (pagination.type === 'cursor' ? 'cursor' : 'next_token'), marker);
      return next;
    }
    case 'page_number':
    case 'limit_offset': {
      const count = recordCount(response);
      if (count === 0) return undefined;
      const size = pagination.type === 'limit_offset' ? (pagination.size ?? DEFAULT_PAGE_SIZE) : pagination.size;
      if (size !== undefined && count < size) return undefined;
      const next = new URL(firstUrl);
      if (pagination.type === 'page_number')
        next.searchParams.set(pagination.param ?? 'page', String((pagination.start ?? 1) + pageNumber));
      else next.searchParams.set(pagination.param ?? 'offset', String((pagination.start ?? 0) + pageNumber * (size ?? DEFAULT_PAGE_SIZE)));
      return next;
    }
    default:
      return undefined;
  }
}

/** Whether a page holds no records, so a page-number or limit/offset chain does not emit it (unless it is the first). */
export function isEmptyPage(pagination: EndpointPagination, response: HttpResponse): boolean {
  return (pagination.type === 'page_number' || pagination.type === 'limit_offset') && recordCount(response) === 0;
}

/** RFC 8288: `<url>; rel="next", <url>; rel="last"`. */
export function nextLink(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const params = match[2] ?? '';
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const rels = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (rels.includes('next') && match[1] !== undefined && match[1] !== '') return match[1];
  }
  return undefined;
}

// The next page is sent with the instance's credentials; a next link to another host would hand them over.
function sameOrigin(next: URL, first: URL): URL {
  if (next.origin !== first.origin) {
    throw new AppError(
      'STEP_FAILED',
      `the next page is on ${next.origin}, not on ${first.origin} as the first was; not following it with the instance's credentials`,
      {
        retryable: false,
      },
    );
  }
  return next;
}

function jsonBody(response: HttpResponse): unknown {
  if (response.body.length === 0) return undefined;
  try {
    const text = response.body.toString('utf8');
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return undefined;
  }
}

function markerAt(response: HttpResponse, pagination: EndpointPagination): string | undefined {
  if (pagination.next_path === undefined) {
    throw new AppError(
      'STEP_FAILED',
      `${pagination.type} pagination needs next_path: where the response body holds the next ${pagination.type === 'next_url' ? 'URL' : 'marker'}`,
      {
        retryable: false,
      },
    );
  }
  const value = getOne(jsonBody(response), compilePath(pagination.next_path));
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The records of a page: the body when it is an array, else its first array-valued field (`{"items": [...]}`). */
function recordCount(response: HttpResponse): number {
  const body = jsonBody(response);
  if (Array.isArray(body)) return body.length;
  if (typeof body === 'object' && body !== null) {
    for (const value of Object.values(body)) if (Array.isArray(value)) return value.length;
  }
  return 0;
}
