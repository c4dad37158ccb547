import type { ErrorBody, FieldErrors } from '@weft/schema';

const TOKEN_KEY = 'weft.token';

/** A failed API call with the server's message and its field errors (path → messages). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  readonly fieldErrors: FieldErrors;

  constructor(status: number, message: string, code?: string, fieldErrors: FieldErrors = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.fieldErrors = fieldErrors;
  }
}

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token === null) localStorage.removeItem(TOKEN_KEY);
  else localStorage.setItem(TOKEN_KEY, token);
}

/** Who to tell when a signed-in call is answered 401 or 403. */
const refusalListeners = { 401: new Set<() => void>(), 403: new Set<() => void>() };

function listen(status: keyof typeof refusalListeners, listener: () => void): () => void {
  refusalListeners[status].add(listener);
  return () => refusalListeners[status].delete(listener);
}

/** Called when a stored token stops working (expired, revoked), so the app can send the user to log in. */
export function onUnauthorized(listener: () => void): () => void {
  return listen(401, listener);
}

/**
 * Called when the API refuses a signed-in call with 403: the user's role may have been lowered since
 * the page learned it, so the app can ask again and stop offering what the role no longer allows.
 */
export function onForbidden(listener: () => void): () => void {
  return listen(403, listener);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
}

function url(path: string, query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return `/api/v1${path}${qs ? `?${qs}` : ''}`;
}

async function errorFrom(res: Response): Promise<ApiError> {
  let body: Partial<ErrorBody> | undefined;
  try {
    body = (await res.json()) as Partial<ErrorBody>;
  } catch {
    body = undefined;
  }
  const message = body?.message ?? `The server answered ${res.status} ${res.statusText}.`;
  return new ApiError(res.status, message, body?.error?.code, body?.errors ?? body?.error?.details ?? {});
}

/** Sends a request to the API with the stored token; resolves to the parsed JSON, rejects with ApiError. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(url(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'The server could not be reached. Check that Weft is running and try again.');
  }
  if (!res.ok) {
    const error = await errorFrom(res);
    if ((res.status === 401 || res.status === 403) && token) for (const listener of refusalListeners[res.status]) listener();
    throw error;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** Fetches raw bytes (payload downloads), which a plain link cannot do because it sends no Authorization header. */
export async function requestBlob(path: string): Promise<Blob> {
  const token = getToken();
  const res = await fetch(url(path, undefined), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw await errorFrom(res);
  return res.blob();
}

/** The message of any error, for people. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
