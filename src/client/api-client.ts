/** What the API answered: its status and JSON body. */
export interface ClientAnswer {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON, read field by field by the commands
  body: any;
}

/** No firebreak server answered at the URL (nothing listening, or not firebreak). */
export class NoServer extends Error {}

/** A small client of firebreak's HTTP API for the `firebreak` command. */
export function createApiClient(url: string, token: string | undefined, fetchFn: typeof fetch = fetch) {
  return async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ClientAnswer> {
    let res: Response;
    try {
      res = await fetchFn(`${url}/api/v1${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new NoServer(`no firebreak server answers at ${url} (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message})`);
    }
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as unknown };
    } catch {
      throw new NoServer(`${url} answered ${res.status} with something that is not firebreak's API`);
    }
  };
}

export type ApiCall = ReturnType<typeof createApiClient>;
