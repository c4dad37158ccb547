import { AppError } from '@weft/schema';
import { describe, expect, it } from 'vitest';
import { assertConnector, type ConnectorBodyJson } from './schema.js';

const base: ConnectorBodyJson = { name: 'Shop', protocol: 'http', base_url: 'https://shop.example.com' };
const endpoint = { name: 'orders', method: 'GET', path: '/orders', data_type: 'json', direction: 'receive' };

function errorsOf(body: ConnectorBodyJson): Record<string, string[]> {
  try {
    assertConnector(body);
  } catch (err) {
    if (err instanceof AppError) return err.details as Record<string, string[]>;
    throw err;
  }
  throw new Error('expected the connector to be refused');
}

describe('connector documents: rate limits, schemas and the authorisation code method', () => {
  it('accepts an endpoint rate limit, a description and response and request schemas', () => {
    const input = assertConnector({
      ...base,
      endpoints: [
        {
          ...endpoint,
          description: 'All orders',
          rate_limit: { requests: 10, per_seconds: 60, bucket: 'account' },
          schema: { type: 'array', items: { type: 'object' } },
          request_schema: { type: 'object' },
        },
      ],
    });
    expect(input.endpoints[0]).toMatchObject({ rate_limit: { requests: 10, per_seconds: 60, bucket: 'account' } });
  });

  it('refuses a rate limit of zero requests, a fractional window and unknown fields, by field path', () => {
    const errors = errorsOf({ ...base, endpoints: [{ ...endpoint, rate_limit: { requests: 0, per_seconds: 1.5, burst: 3 } }] });
    expect(Object.keys(errors).sort()).toEqual([
      'endpoints[0].rate_limit.burst',
      'endpoints[0].rate_limit.per_seconds',
      'endpoints[0].rate_limit.requests',
    ]);
  });

  it('accepts an OAuth 2 authorisation code method and refuses one without absolute URLs', () => {
    const method = {
      type: 'oauth2_authorization_code',
      authorize_url: 'https://auth.example.com/authorize',
      token_url: 'https://auth.example.com/token',
      scope: 'read',
    };
    expect(assertConnector({ ...base, auth_methods: [method] }).authMethods).toEqual([method]);
    const errors = errorsOf({ ...base, auth_methods: [{ ...method, authorize_url: '/authorize', token_url: undefined }] });
    expect(errors['auth_methods[0].authorize_url']).toEqual(['must be an absolute http or https URL']);
    expect(errors['auth_methods[0].token_url']).toBeDefined();
  });
});
