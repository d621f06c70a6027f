import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createExecAction } from '../../src/actions/exec.js';
import { loadConfig } from '../../src/config/config.js';
import type { ActionContext } from '../../src/runner/action.js';

const ctx = (): ActionContext => ({
  signal: new AbortController().signal,
  incident: { id: 1, number: 7, ref: 'INC-7', severity: 'sev1', title: 'Pods crash looping' },
});

// What a deployment's environment holds: firebreak's own secrets, the cluster's, and the rest.
const ENVIRONMENT = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  SLACK_BOT_TOKEN: 'xoxb-1-not-for-kubectl', SLACK_SIGNING_SECRET: '0123456789abcdef0123', SLACK_INCIDENT_CHANNEL: 'C0INCIDENTS', DATABASE_URL: 'postgres://fb:pw@db/fb',
  PAGERDUTY_API_TOKEN: 'u+pagerdutytoken', FIREBREAK_SECRET_DEPLOY_TOKEN: 'deploy-secret', AWS_SECRET_ACCESS_KEY: 'aws-secret',
  KUBECONFIG: '/etc/firebreak/kubeconfig', HOME: '/home/firebreak', KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443',
};

/** The environment an exec step's program sees, run under `env` as EXEC_ENV passes it. */
async function childEnvironment(env: Readonly<Record<string, string>>, path = '/usr/bin:/bin'): Promise<Record<string, string>> {
  const exec = createExecAction({ allowlist: [process.execPath], path, env, maxBytes: 64 * 1024 });
  const r = await exec.run({ argv: [process.execPath, '-e', 'process.stdout.write(JSON.stringify(process.env))'] }, ctx());
  return JSON.parse((r.output as { stdout: string }).stdout) as Record<string, string>;
}

describe('EXEC_ENV: the variables exec steps get', () => {
  test('unset: PATH and LANG only, whatever firebreak\'s own environment holds', async () => {
    const config = loadConfig(ENVIRONMENT);
    assert.deepEqual(await childEnvironment(config.playbooks.execEnv, config.playbooks.execPath), { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' });
  });

  test('the listed variables that are set, with their values, and nothing else leaks', async () => {
    const config = loadConfig({ ...ENVIRONMENT, EXEC_ENV: 'KUBECONFIG, HOME,KUBERNETES_SERVICE_HOST,KUBERNETES_SERVICE_PORT,NOT_SET_HERE,LANG', LANG: 'de_DE.UTF-8' });
    assert.deepEqual(await childEnvironment(config.playbooks.execEnv, config.playbooks.execPath), {
      PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'de_DE.UTF-8', KUBECONFIG: '/etc/firebreak/kubeconfig', HOME: '/home/firebreak',
      KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443',
    });
  });

  test('PATH stays the one firebreak searches programs on, whatever EXEC_ENV says', async () => {
    const config = loadConfig({ ...ENVIRONMENT, EXEC_ENV: 'PATH,HOME' });
    assert.deepEqual(config.playbooks.execEnv, { HOME: '/home/firebreak' });
    assert.equal((await childEnvironment(config.playbooks.execEnv, config.playbooks.execPath)).PATH, '/usr/local/bin:/usr/bin:/bin');
  });

  test('firebreak\'s own secrets and playbook secrets are refused by name, their values never shown; bad names too', () => {
    assert.throws(() => loadConfig({ ...ENVIRONMENT, EXEC_ENV: 'HOME,SLACK_BOT_TOKEN,FIREBREAK_SECRET_DEPLOY_TOKEN,DATABASE_URL' }), (err: Error) =>
      /EXEC_ENV: must not name firebreak's own secrets \(SLACK_BOT_TOKEN, FIREBREAK_SECRET_DEPLOY_TOKEN, DATABASE_URL\): they stay in firebreak/.test(err.message) &&
      !err.message.includes('xoxb-1') && !err.message.includes('deploy-secret') && !err.message.includes('fb:pw'));
    assert.throws(() => loadConfig({ EXEC_ENV: 'HOME,KUBE-CONFIG' }), /EXEC_ENV: must be environment variable names, separated by commas \(got "HOME,KUBE-CONFIG"\)/);
  });
});
