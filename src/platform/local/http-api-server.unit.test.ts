import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalHttpApi, queryParameters } from './http-api-server.js';

describe('the local HTTP API builds events as API Gateway does (HTTP API, payload 2.0)', () => {
  it('joins a repeated query parameter with commas in the order sent, decoding each value', () => {
    expect(queryParameters(new URLSearchParams('limit=500&limit=1&a=x%2Cy&b=&a=z'))).toEqual({
      limit: '500,1',
      a: 'x,y,z',
      b: '',
    });
    const proto = queryParameters(new URLSearchParams('__proto__=1&__proto__=2'));
    expect(Object.hasOwn(proto, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
  });

  const events: Record<string, unknown>[] = [];
  const api = new LocalHttpApi([
    {
      method: 'GET',
      path: '/v1.0/things',
      invoke: async (event) => {
        events.push(event as Record<string, unknown>);
        return { statusCode: 204 };
      },
    },
    {
      method: 'GET',
      path: '/v1.0/things/{id}',
      invoke: async (event) => {
        events.push(event as Record<string, unknown>);
        return { statusCode: 204 };
      },
    },
  ]);
  let url = '';
  beforeAll(async () => {
    url = await api.listen(0);
  });
  afterAll(() => api.close());

  it('hands the handler the joined parameters and the raw query string as sent', async () => {
    expect((await fetch(`${url}/v1.0/things?limit=500&limit=1&status=ACTIVE`)).status).toBe(204);
    expect(events.at(-1)).toMatchObject({
      rawQueryString: 'limit=500&limit=1&status=ACTIVE',
      queryStringParameters: { limit: '500,1', status: 'ACTIVE' },
    });
  });

  it('hands on a path parameter it cannot percent-decode as it came, and keeps serving (issue 7, item 7)', async () => {
    expect((await fetch(`${url}/v1.0/things/%FF%FE`)).status).toBe(204);
    expect(events.at(-1)).toMatchObject({ pathParameters: { id: '%FF%FE' } });
    expect((await fetch(`${url}/v1.0/things/a%20b`)).status).toBe(204);
    expect(events.at(-1)).toMatchObject({ pathParameters: { id: 'a b' } });
  });
});
