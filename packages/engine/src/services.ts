/** What the engine needs from outside, passed in so the engine reads no env and opens no driver. */
export interface EngineServices {
  /** The outbound HTTP client for connector shapes, with the egress guard applied. */
  http: HttpClient;
  now(): Date;
  /** Milliseconds to wait; tests may shorten it. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer | string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface HttpClient {
  /** Refuses loopback/private/link-local/metadata targets (AppError EGRESS_DENIED) unless allow-listed. */
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}
