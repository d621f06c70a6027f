import { ApiException, AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { KubernetesApiError, type KubernetesEvent, type KubernetesPort } from '../actions/kubernetes.js';
import type { KubernetesConfig } from '../config/config.js';

/**
 * The KubernetesPort over @kubernetes/client-node: the pod's service account when no kubeconfig is
 * given (in-cluster: its token, CA and KUBERNETES_SERVICE_HOST), else the kubeconfig's current
 * context. No shell, no kubectl: each call is one API request.
 */
export function createKubernetesClient(config: Pick<KubernetesConfig, 'kubeconfig'>): KubernetesPort {
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else kc.loadFromCluster();
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
  const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

  return {
    podLogs: ({ namespace, pod, container, previous, tail }) => api(() =>
      core.readNamespacedPodLog({ namespace, name: pod, container, previous, tailLines: tail })),

    async events({ namespace, kind, name }) {
      // kind and name are checked names (no , or =): the selector says exactly this object.
      const list = await api(() => core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name}` }));
      return list.items.map((e): KubernetesEvent => ({
        type: e.type ?? '', reason: e.reason ?? '', message: e.message ?? '', count: e.count ?? 1,
        lastSeen: toIso(e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp),
      })).sort((a, b) => (a.lastSeen ?? '').localeCompare(b.lastSeen ?? ''));
    },

    async rolloutRestart({ namespace, kind, name, at }) {
      const body = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } };
      if (kind === 'deployment') await api(() => apps.patchNamespacedDeployment({ namespace, name, body }, strategic));
      else if (kind === 'statefulset') await api(() => apps.patchNamespacedStatefulSet({ namespace, name, body }, strategic));
      else if (kind === 'daemonset') await api(() => apps.patchNamespacedDaemonSet({ namespace, name, body }, strategic));
      else throw new KubernetesApiError(400, `cannot restart a ${kind}`);
    },

    async scale({ namespace, kind, name, replicas }) {
      const body = { spec: { replicas } };
      if (kind === 'deployment') {
        const before = await api(() => apps.readNamespacedDeploymentScale({ namespace, name }));
        await api(() => apps.patchNamespacedDeploymentScale({ namespace, name, body }, merge));
        return { previous: before.spec?.replicas ?? 0 };
      }
      if (kind === 'statefulset') {
        const before = await api(() => apps.readNamespacedStatefulSetScale({ namespace, name }));
        await api(() => apps.patchNamespacedStatefulSetScale({ namespace, name, body }, merge));
        return { previous: before.spec?.replicas ?? 0 };
      }
      throw new KubernetesApiError(400, `cannot scale a ${kind}`);
    },
  };
}

const toIso = (d: Date | string | undefined): string | null => (d === undefined ? null : new Date(d).toISOString());

/** The API server's refusal as a KubernetesApiError, with its own message (a Status object's). */
async function api<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiException) {
      const body = err.body as unknown;
      const parsed = typeof body === 'string' ? safeJson(body) : body;
      const message = parsed && typeof parsed === 'object' && typeof (parsed as { message?: unknown }).message === 'string'
        ? (parsed as { message: string }).message : `HTTP ${err.code}`;
      throw new KubernetesApiError(err.code, message);
    }
    throw err;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
