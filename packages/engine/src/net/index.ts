export { createEgressPolicy, type EgressPolicy } from './egress-policy.js';
export { createHttpClient, DEFAULT_MAX_RESPONSE_BYTES, describeUrl, type HttpClientOptions } from './http-client.js';
