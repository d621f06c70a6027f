import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fixture, TOKEN } from '../support/app.js';
import { backends } from '../support/databases.js';
import { FakeJira, JIRA_EMAIL, JIRA_TOKEN } from '../support/fake-jira.js';
import { FakeLinear, LINEAR_KEY, LINEAR_TEAM } from '../support/fake-linear.js';
import { runCli } from '../support/process.js';

const POSTMORTEM = `# INC-1

## Action items

| Action | Owner | Due |
|---|---|---|
| Alert on the checkout error budget burn | @dana | 2026-12-15 |
| Add a readiness probe to checkout | @sam |  |
`;

for (const backend of backends()) {
  describe(`firebreak tickets: the built CLI files a postmortem's action items in a local Jira and a local Linear, once (${backend.name})`, () => {
    let jira: FakeJira;
    let linear: FakeLinear;
    before(async () => {
      [jira, linear] = await Promise.all([FakeJira.start(), FakeLinear.start()]);
    });
    after(() => Promise.all([jira.close(), linear.close()]));

    test('files each item; run again, says each was filed already and files none; to Linear with --linear-team, once too; a bad key or an unknown incident files nothing', async () => {
      const work = await mkdtemp(join(tmpdir(), 'fb-tickets-'));
      const database = backend.name === 'postgres' ? await backend.create() : undefined;
      const env = {
        PORT: '0', HOST: '127.0.0.1', ALERTMANAGER_WEBHOOK_TOKEN: TOKEN, FIREBREAK_DATA_DIR: join(work, 'data'),
        JIRA_URL: jira.url, JIRA_EMAIL, JIRA_API_TOKEN: JIRA_TOKEN, LINEAR_API_KEY: LINEAR_KEY, LINEAR_API_URL: linear.url,
        ...(database ? { DATABASE_URL: database.url! } : {}),
      };
      try {
        const app = runCli(['start'], env);
        const url = await app.listening;
        const res = await fetch(`${url}/webhooks/alertmanager`, {
          method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: await fixture('alertmanager/firing-group.json'),
        });
        assert.equal(res.status, 200);
        app.child.kill('SIGTERM');
        assert.equal(await app.exited, 0);
        const file = join(work, 'INC-1.md');
        await writeFile(file, POSTMORTEM);

        const first = runCli(['tickets', 'INC-1', '--from', file, '--project', 'OPS'], env);
        assert.equal(await first.exited, 0, first.stderr());
        assert.equal(first.stdout(), `OPS-1 filed: Alert on the checkout error budget burn (${jira.url}/browse/OPS-1)\n`
          + `OPS-2 filed: Add a readiness probe to checkout (${jira.url}/browse/OPS-2)\n`);
        assert.deepEqual(jira.issues.map((i) => i.fields.summary), ['Alert on the checkout error budget burn', 'Add a readiness probe to checkout']);

        const again = runCli(['tickets', 'INC-1', '--from', file, '--project', 'OPS'], env);
        assert.equal(await again.exited, 0, again.stderr());
        assert.equal(again.stdout(), `OPS-1 already filed: Alert on the checkout error budget burn (${jira.url}/browse/OPS-1)\n`
          + `OPS-2 already filed: Add a readiness probe to checkout (${jira.url}/browse/OPS-2)\n`);

        const badKey = runCli(['tickets', 'INC-1', '--from', file, '--project', 'ops'], env);
        assert.equal(await badKey.exited, 2);
        assert.equal(badKey.stderr(), 'firebreak: --project must be a Jira project key like OPS, got ops\n');
        const noIncident = runCli(['tickets', 'INC-99', '--from', file, '--project', 'OPS'], env);
        assert.equal(await noIncident.exited, 1);
        assert.equal(noIncident.stderr(), 'firebreak: there is no incident INC-99\n');
        assert.equal(jira.issues.length, 2);

        for (const word of ['filed', 'already filed']) {
          const toLinear = runCli(['tickets', 'INC-1', '--from', file, '--linear-team', LINEAR_TEAM], env);
          assert.equal(await toLinear.exited, 0, toLinear.stderr());
          assert.equal(toLinear.stdout(), `OPS-1 ${word}: Alert on the checkout error budget burn (https://linear.app/example/issue/OPS-1)\n`
            + `OPS-2 ${word}: Add a readiness probe to checkout (https://linear.app/example/issue/OPS-2)\n`);
        }
        assert.deepEqual(linear.issues.map((i) => i.title), ['Alert on the checkout error budget burn', 'Add a readiness probe to checkout']);
        const badTeam = runCli(['tickets', 'INC-1', '--from', file, '--linear-team', 'OPS'], env);
        assert.equal(await badTeam.exited, 2);
        assert.equal(badTeam.stderr(), 'firebreak: --linear-team must be a Linear team id (a UUID), got OPS\n');
      } finally {
        await rm(work, { recursive: true, force: true });
        await database?.close();
      }
    });
  });
}
