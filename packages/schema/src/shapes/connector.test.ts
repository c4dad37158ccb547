import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { ConnectorConfigSchema, checkConnectorUrl, connectorConfigProblems } from './connector.js';

const minimal = { request: { method: 'POST', url: 'http://127.0.0.1:9000/customers' } };

function valid(config: unknown): boolean {
  return Value.Check(ConnectorConfigSchema, config);
}

describe('ConnectorConfigSchema', () => {
  it('accepts a minimal inline request', () => {
    expect(valid(minimal)).toBe(true);
  });

  it('accepts every setting at its limits', () => {
    expect(
      valid({
        request: {
          method: 'PATCH',
          url: '[[flow.crm_url]]/[[payload.id]]',
          headers: { 'Content-Type': 'application/json', Authorization: 'Bearer [[flow.token]]' },
          query: { page: '1', since: '[[run.queued_at]]' },
          body: '{"id": "[[payload.id]]"}',
        },
        timeout_seconds: 3600,
        retries: 2,
        allow_unsuccessful_statuses: [100, 404, 599],
        wrapping: 'first',
      }),
    ).toBe(true);
    expect(valid({ ...minimal, timeout_seconds: 1, retries: 0, allow_unsuccessful_statuses: true, wrapping: 'raw' })).toBe(true);
  });

  it.each(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'])('accepts the method %s', (method) => {
    expect(valid({ request: { method, url: 'http://x.example' } })).toBe(true);
  });

  it.each([
    ['a lower-case method', { request: { method: 'post', url: 'http://x.example' } }],
    ['an unsupported method', { request: { method: 'TRACE', url: 'http://x.example' } }],
    ['a missing url', { request: { method: 'GET' } }],
    ['an empty url', { request: { method: 'GET', url: '' } }],
    ['timeout_seconds of 0', { ...minimal, timeout_seconds: 0 }],
    ['timeout_seconds over an hour', { ...minimal, timeout_seconds: 3601 }],
    ['a fractional timeout', { ...minimal, timeout_seconds: 1.5 }],
    ['3 retries', { ...minimal, retries: 3 }],
    ['negative retries', { ...minimal, retries: -1 }],
    ['a status below 100', { ...minimal, allow_unsuccessful_statuses: [99] }],
    ['a status above 599', { ...minimal, allow_unsuccessful_statuses: [600] }],
    ['a status as a string', { ...minimal, allow_unsuccessful_statuses: ['404'] }],
    ['an unknown wrapping', { ...minimal, wrapping: 'all' }],
    ['an unknown setting', { ...minimal, verbose: true }],
    ['an unknown request setting', { request: { ...minimal.request, follow_redirects: true } }],
    ['a header name with a space', { request: { ...minimal.request, headers: { 'X Bad': 'v' } } }],
    ['a header value with a line break', { request: { ...minimal.request, headers: { 'X-A': 'v\r\nX-B: w' } } }],
    ['a header value that is not a string', { request: { ...minimal.request, headers: { 'X-A': 1 } } }],
    ['a query value that is not a string', { request: { ...minimal.request, query: { page: 1 } } }],
    ['a body that is not a string', { request: { ...minimal.request, body: { id: 1 } } }],
  ])('rejects %s', (_name, config) => {
    expect(valid(config)).toBe(false);
  });
});

describe('checkConnectorUrl', () => {
  it.each(['http://127.0.0.1:9000/customers', 'https://api.example.com/v1?x=1', 'HTTPS://API.EXAMPLE.COM'])('accepts %s', (url) => {
    expect(checkConnectorUrl(url)).toBeUndefined();
  });

  it.each([
    'example.com',
    '/customers',
    'ftp://example.com/file',
    'file:///etc/passwd',
    'http://',
    'mailto:a@example.com',
    'javascript:alert(1)',
  ])('explains what is wrong with %s', (url) => {
    expect(checkConnectorUrl(url)).toBe(`must be an absolute http(s) URL, got ${JSON.stringify(url)}`);
  });

  it('leaves a URL that starts with a template to be judged once rendered', () => {
    expect(checkConnectorUrl('[[flow.crm_url]]')).toBeUndefined();
    expect(checkConnectorUrl('[[flow.host]]/customers')).toBeUndefined();
    expect(checkConnectorUrl('https://[[flow.host]]/customers')).toBeUndefined();
  });

  it('still judges a literal scheme in front of a template', () => {
    expect(checkConnectorUrl('ftp://[[flow.host]]/file')).toContain('must be an absolute http(s) URL');
  });

  it('shortens a very long URL in the message', () => {
    const problem = checkConnectorUrl(`nope${'x'.repeat(1000)}`);
    expect(problem?.length).toBeLessThan(300);
  });
});

describe('ConnectorConfigSchema with an instance endpoint', () => {
  it('accepts an instance, an endpoint and endpoint variables', () => {
    expect(valid({ instance: 'inst-1', endpoint: 'list orders', variables: { since: '[[run.queued_at]]' } })).toBe(true);
  });

  it.each([
    ['an empty instance', { instance: '', endpoint: 'e' }],
    ['an endpoint that is not a string', { instance: 'i', endpoint: 1 }],
    ['a variable name with a dash', { instance: 'i', endpoint: 'e', variables: { 'order-id': '1' } }],
    ['a variable value that is not a string', { instance: 'i', endpoint: 'e', variables: { id: 1 } }],
  ])('rejects %s', (_name, config) => {
    expect(valid(config)).toBe(false);
  });
});

describe('connectorConfigProblems', () => {
  it('accepts an inline request or an instance with an endpoint', () => {
    expect(connectorConfigProblems(minimal)).toEqual([]);
    expect(connectorConfigProblems({ instance: 'i', endpoint: 'e', variables: {} })).toEqual([]);
  });

  it('asks for a request when neither is given', () => {
    expect(connectorConfigProblems({})).toEqual([{ path: 'request', message: 'is required unless instance and endpoint are set' }]);
  });

  it('refuses a request together with an instance', () => {
    expect(connectorConfigProblems({ ...minimal, instance: 'i', endpoint: 'e' })).toEqual([
      { path: 'instance', message: 'cannot be combined with request; use either an inline request or an instance endpoint' },
    ]);
  });

  it('asks for the missing half of an instance endpoint', () => {
    expect(connectorConfigProblems({ instance: 'i' })).toEqual([{ path: 'endpoint', message: 'is required with instance' }]);
    expect(connectorConfigProblems({ endpoint: 'e' })).toEqual([{ path: 'instance', message: 'is required with endpoint' }]);
  });

  it('refuses endpoint variables on an inline request', () => {
    expect(connectorConfigProblems({ ...minimal, variables: { a: 'b' } })).toEqual([
      { path: 'variables', message: 'only applies to an instance endpoint; write the values into the request instead' },
    ]);
  });
});
