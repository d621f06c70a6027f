import type { TestApp } from './app.js';

/** API tokens of the tests: Alice is mapped to a Slack id, Bob is not. */
export const ALICE = { name: 'alice', token: 'tok-alice-0123456789abcdef', slack: 'U0ALICE' };
export const BOB = { name: 'bob', token: 'tok-bob-0123456789abcdef01' };
export const API_TOKENS = `${ALICE.name}:${ALICE.token}:${ALICE.slack},${BOB.name}:${BOB.token}`;

// The tests read answers' fields freely and assert on them; a wrong shape fails the assertion.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON as the API answers it
export type Json = any;

/** A JSON answer of the API: status and parsed body. */
export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls the API of a running test app as the holder of `token` (null: no Authorization header). */
export async function callApi<T = Json>(
  app: Pick<TestApp, 'url'>, method: string, path: string, o: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const token = o.token === undefined ? ALICE.token : o.token;
  const res = await fetch(`${app.url}/api/v1${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(o.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...o.headers,
    },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
  });
  const text = await res.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    body = text as T;
  }
  return { status: res.status, body, headers: res.headers };
}
