import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createKubernetesActions } from '../../src/actions/kubernetes.js';
import { createKubernetesClient } from '../../src/kubernetes/client.js';
import type { ActionContext } from '../../src/runner/action.js';
import { FakeKubernetes, KUBE_TOKEN } from '../support/fake-kubernetes.js';

const ctx = (): ActionContext => ({
  signal: new AbortController().signal,
  incident: { id: 1, number: 7, ref: 'INC-7', severity: 'sev2', title: 'KubePodCrashLooping' },
});

describe('kubernetes.* actions: @kubernetes/client-node against a local API server', () => {
  let kube: FakeKubernetes;
  let actions: ReturnType<typeof createKubernetesActions>;
  before(async () => {
    kube = await FakeKubernetes.start();
    kube.logs.set('shop/checkout-7d9f8b6c5-x2x9k/checkout', [
      Array.from({ length: 800 }, (_, i) => `line ${i + 1}`).join('\n'),
      'starting checkout\npanic: runtime error: invalid memory address\n',
    ]);
    kube.events.push(
      { namespace: 'shop', kind: 'Pod', name: 'checkout-7d9f8b6c5-x2x9k', type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container', count: 41, lastTimestamp: '2026-11-30T08:20:00Z' },
      { namespace: 'shop', kind: 'Pod', name: 'checkout-7d9f8b6c5-x2x9k', type: 'Normal', reason: 'Pulled', message: 'Container image already present', count: 42, lastTimestamp: '2026-11-30T08:19:00Z' },
      { namespace: 'shop', kind: 'Pod', name: 'other-pod', type: 'Warning', reason: 'Failed', message: 'not this one', count: 1, lastTimestamp: '2026-11-30T08:00:00Z' },
    );
    kube.workloads.set('shop/deployments/checkout', { replicas: 3, annotations: {} });
    kube.workloads.set('kube-system/deployments/coredns', { replicas: 2, annotations: {} });
    actions = createKubernetesActions({
      port: createKubernetesClient({ kubeconfig: kube.kubeconfig() }), namespaces: ['shop', 'payments'], kinds: ['deployment', 'statefulset'],
    });
  });
  after(() => kube.close());

  test('kubernetes.logs: the last N lines of the container, and of its previous instance, with the kubeconfig\'s token', async () => {
    const r = await actions['kubernetes.logs'].run({ namespace: 'shop', pod: 'checkout-7d9f8b6c5-x2x9k', container: 'checkout', previous: false, tail: 500 }, ctx());
    assert.equal((r.output as { lines: number }).lines, 500);
    assert.match((r.output as { text: string }).text, /^line 301\n[^]*line 800\n$/);
    const previous = await actions['kubernetes.logs'].run({ namespace: 'shop', pod: 'checkout-7d9f8b6c5-x2x9k', container: 'checkout', previous: true, tail: 300 }, ctx());
    assert.deepEqual(previous.output, { lines: 2, text: 'starting checkout\npanic: runtime error: invalid memory address\n' });
    assert.match(previous.evidence!.body, /^# logs of shop\/checkout-7d9f8b6c5-x2x9k \(checkout\), previous instance, last 300 lines\nstarting checkout/);
    const req = kube.requests.at(-1)!;
    assert.equal(req.path, '/api/v1/namespaces/shop/pods/checkout-7d9f8b6c5-x2x9k/log');
    assert.deepEqual([req.query.get('container'), req.query.get('previous'), req.query.get('tailLines')], ['checkout', 'true', '300']);
    assert.equal(req.authorization, `Bearer ${KUBE_TOKEN}`);
  });

  test('kubernetes.events: the object\'s events only (field selector), oldest first, warnings counted', async () => {
    const r = await actions['kubernetes.events'].run({ namespace: 'shop', kind: 'Pod', name: 'checkout-7d9f8b6c5-x2x9k' }, ctx());
    assert.deepEqual((r.output as { events: { reason: string; count: number; lastSeen: string }[] }).events.map((e) => [e.reason, e.count, e.lastSeen]), [
      ['Pulled', 42, '2026-11-30T08:19:00.000Z'], ['BackOff', 41, '2026-11-30T08:20:00.000Z'],
    ]);
    assert.equal(r.summary, '2 events of Pod shop/checkout-7d9f8b6c5-x2x9k, 1 warnings');
    assert.equal(kube.requests.at(-1)!.query.get('fieldSelector'), 'involvedObject.kind=Pod,involvedObject.name=checkout-7d9f8b6c5-x2x9k');
  });

  test('kubernetes.rollout_restart: a strategic merge patch of the pod template\'s restartedAt, as kubectl does', async () => {
    const r = await actions['kubernetes.rollout_restart'].run({ namespace: 'shop', kind: 'deployment', name: 'checkout' }, ctx());
    const at = (r.output as { restarted_at: string }).restarted_at;
    const req = kube.requests.at(-1)!;
    assert.deepEqual([req.method, req.path, req.contentType], ['PATCH', '/apis/apps/v1/namespaces/shop/deployments/checkout', 'application/strategic-merge-patch+json']);
    assert.deepEqual(req.body, { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } });
    assert.equal(kube.workloads.get('shop/deployments/checkout')!.annotations['kubectl.kubernetes.io/restartedAt'], at);
  });

  test('kubernetes.scale: the scale subresource set, the previous count kept in the output', async () => {
    const r = await actions['kubernetes.scale'].run({ namespace: 'shop', kind: 'deployment', name: 'checkout', replicas: 6 }, ctx());
    assert.deepEqual(r.output, { previous: 3, replicas: 6 });
    assert.equal(kube.workloads.get('shop/deployments/checkout')!.replicas, 6);
    const req = kube.requests.at(-1)!;
    assert.deepEqual([req.method, req.path, req.contentType, req.body], ['PATCH', '/apis/apps/v1/namespaces/shop/deployments/checkout/scale', 'application/merge-patch+json', { spec: { replicas: 6 } }]);
  });

  test('outside the allow-lists nothing is sent: another namespace, a kind not listed', async () => {
    const before = kube.requests.length;
    await assert.rejects(actions['kubernetes.scale'].run({ namespace: 'kube-system', kind: 'deployment', name: 'coredns', replicas: 0 }, ctx()),
      /kubernetes: namespace "kube-system" is not in KUBERNETES_NAMESPACES \(shop, payments\); nothing was done/);
    await assert.rejects(actions['kubernetes.rollout_restart'].run({ namespace: 'shop', kind: 'daemonset', name: 'checkout' }, ctx()),
      /kubernetes: kind "daemonset" is not in KUBERNETES_KINDS \(deployment, statefulset\); nothing was done/);
    await assert.rejects(createKubernetesActions({ port: undefined, namespaces: [], kinds: [] })['kubernetes.logs'].run({ namespace: 'shop', pod: 'x', previous: false, tail: 1 }, ctx()),
      /kubernetes: not configured here \(KUBERNETES_NAMESPACES is unset\)/);
    assert.equal(kube.requests.length, before);
    assert.equal(kube.workloads.get('kube-system/deployments/coredns')!.replicas, 2);
  });

  test('the API server\'s refusal is the step\'s error, with its message; a 404 is not retried', async () => {
    await assert.rejects(actions['kubernetes.scale'].run({ namespace: 'shop', kind: 'deployment', name: 'gone', replicas: 1 }, ctx()),
      (err: Error & { retryable: boolean }) => /the API server answered 404: deployments\.apps "gone" not found/.test(err.message) && !err.retryable);
  });
});
