import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { startLocalApi } from '../../src/local-api.js';
import { ALICE, API_TOKENS } from '../support/api.js';
import { postgresBackend } from '../support/databases.js';

// The `firebreak` command's reads without a server (src/local-api.ts), on both back ends: the
// embedded one from its data directory, Postgres from DATABASE_URL.
const places = async () => {
  const postgres = postgresBackend();
  const dir = await mkdtemp(join(tmpdir(), 'fb-local-api-'));
  const database = postgres ? await postgres.create() : undefined;
  return {
    list: [{ name: 'pglite', env: { FIREBREAK_DATA_DIR: dir } }, ...(database ? [{ name: 'postgres', env: { DATABASE_URL: database.url! } }] : [])],
    async close() {
      await database?.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
};

describe('the API\'s reads inside the firebreak command, without a server', () => {
  test('reads answer with the API\'s token rules; a change is refused before it reaches a route', async () => {
    const at = await places();
    try {
      for (const place of at.list) {
        const local = await startLocalApi(loadConfig({ ...place.env, FIREBREAK_API_TOKENS: API_TOKENS }), createLogger('silent'));
        try {
          const get = (token?: string) => fetch(`${local.url}/api/v1/incidents`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
          const read = await get(ALICE.token);
          assert.equal(read.status, 200, place.name);
          assert.deepEqual(((await read.json()) as { incidents: unknown[] }).incidents, []);
          assert.equal((await get()).status, 401, `${place.name}: FIREBREAK_API_TOKENS holds here too`);
          const change = await fetch(`${local.url}/api/v1/incidents`, {
            method: 'POST', headers: { authorization: `Bearer ${ALICE.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'x' }),
          });
          assert.equal(change.status, 405, place.name);
          assert.deepEqual(await change.json(), { error: 'method_not_allowed', message: 'changes need the running server (it runs what they start)' });
          assert.deepEqual(((await (await get(ALICE.token)).json()) as { incidents: unknown[] }).incidents, [], 'nothing declared');
        } finally {
          await local.close();
        }
      }
    } finally {
      await at.close();
    }
  });
});
