import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { parseAllDocuments, parse } from 'yaml';
import { ConfigMap, PersistentVolumeClaim, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { PROMETHEUS_RULE_FILE, RULES_FILE, renderPrometheusRule } from '../../deploy/kubernetes/prometheus-rule.js';
import { DEPLOY } from './metric-names.js';

const run = promisify(execFile);
const KUBERNETES = fileURLToPath(new URL('kubernetes/', DEPLOY));

/** A rendered object: what kubectl kustomize prints, one per YAML document. */
interface K8sObject { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; [key: string]: unknown }

/** The JSON schema of each kind the manifests use (kubernetes-models; the Prometheus Operator's CRDs). */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/ConfigMap': ConfigMap, 'v1/Service': Service, 'v1/ServiceAccount': ServiceAccount, 'v1/Secret': Secret,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim, 'apps/v1/Deployment': Deployment, 'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule, 'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

/** Throws, naming the object, unless it validates against its kind's schema. */
function validate(o: K8sObject): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`no schema for ${o.apiVersion} ${o.kind} (add it to MODELS)`);
  try {
    new Model(o as never).validate();
  } catch (err) {
    throw new Error(`${o.kind} ${o.metadata.name}: ${(err as Error).message}`, { cause: err });
  }
}

async function render(dir: string): Promise<K8sObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((d) => d.toJS() as K8sObject).filter(Boolean);
}

const one = (objects: K8sObject[], kind: string) => {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return found[0]!;
};
const deploymentOf = (objects: K8sObject[]) => one(objects, 'Deployment') as unknown as Required<IDeployment>;
const configOf = (objects: K8sObject[]) =>
  objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('firebreak-config-')) as unknown as { metadata: { name: string }; data: Record<string, string> };

describe('deploy/kubernetes', () => {
  for (const overlay of ['base', 'overlays/embedded', 'overlays/prometheus-operator']) {
    test(`kubectl kustomize ${overlay} renders objects that all validate`, async () => {
      const objects = await render(join(KUBERNETES, overlay));
      assert.ok(objects.length >= 7, `${objects.length} objects`);
      for (const o of objects) {
        validate(o);
        assert.equal(o.metadata.labels?.['app.kubernetes.io/name'], 'firebreak', `${o.kind} ${o.metadata.name} is labelled`);
      }
    });
  }

  test('the validation catches a wrong object, and a kind it has no schema for', () => {
    const bad = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: { replicas: 'two', selector: {}, template: {} } };
    assert.throws(() => validate(bad), /Deployment x: .*replicas must be integer/);
    assert.throws(() => validate({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }), /no schema for v1 Pod/);
    assert.throws(() => validate({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'r' },
      spec: { groups: [{ name: 'g', rules: [{ alert: 'A' }] }] } }), /required property expr/);
  });

  test('the base: two replicas, probes, non-root with a read-only root, a grace period above SHUTDOWN_GRACE_SECONDS', async () => {
    const objects = await render(join(KUBERNETES, 'base'));
    const deployment = deploymentOf(objects);
    const pod = deployment.spec.template.spec!;
    const container = pod.containers[0]!;
    assert.equal(deployment.spec.replicas, 2);
    assert.equal(container.livenessProbe?.httpGet?.path, '/healthz');
    assert.equal(container.readinessProbe?.httpGet?.path, '/readyz');
    assert.ok(container.resources?.requests?.memory && container.resources.limits?.memory);
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    const tmp = container.volumeMounts!.find((m) => m.mountPath === '/tmp')!;
    assert.ok(pod.volumes!.find((v) => v.name === tmp.name)?.emptyDir, '/tmp is an emptyDir');
    const config = configOf(objects);
    const grace = Number(config.data.SHUTDOWN_GRACE_SECONDS);
    const preStop = Number(container.lifecycle?.preStop?.exec?.command?.at(-1) ?? 0);
    assert.ok(grace > 0);
    // The HTTP server's close and the database's come after the jobs' grace: leave 10 s for them.
    assert.ok(pod.terminationGracePeriodSeconds! >= preStop + grace + 10, `${pod.terminationGracePeriodSeconds} s ≥ ${preStop} + ${grace} + 10`);
    assert.equal(config.data.HOST, '0.0.0.0');
    assert.ok(container.envFrom!.some((e) => e.configMapRef?.name === config.metadata.name));
    assert.ok(container.envFrom!.some((e) => e.secretRef?.name === 'firebreak'));
    assert.equal((one(objects, 'PodDisruptionBudget') as unknown as { spec: { minAvailable: number } }).spec.minAvailable, 1);
    const service = one(objects, 'Service') as unknown as { spec: { selector: Record<string, string> } };
    assert.deepEqual(service.spec.selector, deployment.spec.template.metadata!.labels);
  });

  test('the playbooks ConfigMap is named by its content: a changed playbook rolls the Deployment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fb-kustomize-'));
    await cp(join(KUBERNETES, 'base'), dir, { recursive: true });
    const before = await render(dir);
    const playbook = join(dir, 'playbooks/high-error-rate.yml');
    await writeFile(playbook, (await readFile(playbook, 'utf8')).replace('range: 1h', 'range: 2h'));
    const after = await render(dir);
    const volumeOf = (objects: K8sObject[]) => deploymentOf(objects).spec.template.spec!.volumes!.find((v) => v.name === 'playbooks')!.configMap!.name ?? '';
    const names = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name);
    assert.notEqual(volumeOf(before), volumeOf(after));
    assert.ok(names(after).includes(volumeOf(after)), 'the Deployment mounts the ConfigMap that is rendered');
    assert.match(volumeOf(after), /^firebreak-playbooks-[a-z0-9]{10}$/);
  });

  test("the base's example playbook is the repository's", async () => {
    assert.equal(
      await readFile(join(KUBERNETES, 'base/playbooks/high-error-rate.yml'), 'utf8'),
      await readFile(new URL('../../playbooks/high-error-rate.yml', import.meta.url), 'utf8'),
    );
  });

  test('the secret example validates and names what the Deployment needs', async () => {
    const secret = parse(await readFile(join(KUBERNETES, 'base/secret.example.yaml'), 'utf8')) as K8sObject & { stringData: Record<string, string> };
    validate(secret);
    assert.equal(secret.metadata.name, 'firebreak');
    assert.deepEqual(Object.keys(secret.stringData).sort(), ['ALERTMANAGER_WEBHOOK_TOKEN', 'DATABASE_URL']);
  });

  test('the embedded overlay: one replica, Recreate, the data directory on a PVC, no budget', async () => {
    const objects = await render(join(KUBERNETES, 'overlays/embedded'));
    const deployment = deploymentOf(objects);
    assert.equal(deployment.spec.replicas, 1);
    assert.deepEqual(deployment.spec.strategy, { type: 'Recreate' });
    const pod = deployment.spec.template.spec!;
    const container = pod.containers[0]!;
    const data = container.volumeMounts!.find((m) => m.mountPath === '/data')!;
    const claim = pod.volumes!.find((v) => v.name === data.name)!.persistentVolumeClaim!.claimName;
    assert.equal(one(objects, 'PersistentVolumeClaim').metadata.name, claim);
    assert.ok(container.env!.some((e) => e.name === 'FIREBREAK_DATA_DIR' && e.value === '/data'));
    assert.equal(objects.filter((o) => o.kind === 'PodDisruptionBudget').length, 0);
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true, 'the base settings stay');
  });

  test('the prometheus-operator overlay: a ServiceMonitor on the Service port, and the PrometheusRule is the rules file', async () => {
    assert.equal(await readFile(PROMETHEUS_RULE_FILE, 'utf8'), renderPrometheusRule(await readFile(RULES_FILE, 'utf8')),
      'prometheus-rule.yaml is stale: npm run deploy:prometheus-rule');
    const objects = await render(join(KUBERNETES, 'overlays/prometheus-operator'));
    const rule = one(objects, 'PrometheusRule') as unknown as { spec: { groups: { rules: { alert: string }[] }[] } };
    const rules = parse(await readFile(RULES_FILE, 'utf8')) as { groups: { rules: { alert: string }[] }[] };
    assert.deepEqual(rule.spec.groups, rules.groups);
    const monitor = one(objects, 'ServiceMonitor') as unknown as { spec: { endpoints: { port: string; path: string }[]; selector: { matchLabels: Record<string, string> } } };
    const service = one(objects, 'Service') as unknown as { metadata: { name: string; labels: Record<string, string> }; spec: { ports: { name: string }[] } };
    assert.equal(service.metadata.name, 'firebreak', 'the scrape job is named after the Service, as the rules expect');
    assert.ok(service.spec.ports.some((p) => p.name === monitor.spec.endpoints[0]!.port));
    assert.equal(monitor.spec.endpoints[0]!.path, '/metrics');
    for (const [k, v] of Object.entries(monitor.spec.selector.matchLabels)) assert.equal(service.metadata.labels[k], v);
  });
});
