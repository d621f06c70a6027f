import type { ActionParams } from '../playbooks/action-params.js';
import { ActionFailure, type Action, type ActionContext } from '../runner/action.js';

/** An event of a Kubernetes object, as `kubernetes.events` keeps it. */
export interface KubernetesEvent {
  type: string;
  reason: string;
  message: string;
  count: number;
  lastSeen: string | null;
}

/**
 * The port to a Kubernetes API server (src/kubernetes implements it over @kubernetes/client-node).
 * A refusal by the API server throws a KubernetesApiError with its HTTP status.
 */
export interface KubernetesPort {
  podLogs(p: { namespace: string; pod: string; container?: string; previous: boolean; tail: number }): Promise<string>;
  events(p: { namespace: string; kind: string; name: string }): Promise<KubernetesEvent[]>;
  /** Sets the pod template's restartedAt annotation to `at`, as `kubectl rollout restart` does. */
  rolloutRestart(p: { namespace: string; kind: string; name: string; at: string }): Promise<void>;
  /** Sets the replicas; resolves with how many there were. */
  scale(p: { namespace: string; kind: string; name: string; replicas: number }): Promise<{ previous: number }>;
}

/** The API server answered with an error status (404: no such object; 403: RBAC says no). */
export class KubernetesApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'KubernetesApiError';
  }
}

export interface KubernetesActionDeps {
  /** Undefined when Kubernetes is not configured (KUBERNETES_NAMESPACES unset). */
  port: KubernetesPort | undefined;
  /** Namespaces steps may read and change; `*`: all the service account may. */
  namespaces: readonly string[];
  /** Workload kinds steps may restart or scale (deployment, statefulset, daemonset). */
  kinds: readonly string[];
}

/** The four `kubernetes.*` actions: evidence (logs, events), and containment meant to be gated (rollout restart, scale). */
export function createKubernetesActions(deps: KubernetesActionDeps): Record<'kubernetes.logs' | 'kubernetes.events' | 'kubernetes.rollout_restart' | 'kubernetes.scale', Action> {
  const port = (namespace: string, kind?: string): KubernetesPort => {
    if (!deps.port) throw new ActionFailure('kubernetes: not configured here (KUBERNETES_NAMESPACES is unset); nothing was done', { retryable: false });
    if (!deps.namespaces.includes('*') && !deps.namespaces.includes(namespace)) {
      throw new ActionFailure(`kubernetes: namespace "${namespace}" is not in KUBERNETES_NAMESPACES (${deps.namespaces.join(', ')}); nothing was done`, { retryable: false });
    }
    if (kind !== undefined && !deps.kinds.includes(kind)) {
      throw new ActionFailure(`kubernetes: kind "${kind}" is not in KUBERNETES_KINDS (${deps.kinds.join(', ') || 'empty'}); nothing was done`, { retryable: false });
    }
    return deps.port;
  };
  return {
    'kubernetes.logs': {
      async run(raw, ctx) {
        const p = raw as ActionParams['kubernetes.logs'];
        const text = await call(ctx, `logs of ${p.namespace}/${p.pod}`, () => port(p.namespace).podLogs(p));
        const lines = text === '' ? 0 : text.replace(/\n$/, '').split('\n').length;
        const which = `${p.namespace}/${p.pod}${p.container ? ` (${p.container})` : ''}${p.previous ? ', previous instance' : ''}`;
        return {
          output: { lines, text },
          evidence: { mediaType: 'text/plain; charset=utf-8', body: `# logs of ${which}, last ${p.tail} lines\n${text}` },
          summary: `${lines} log lines of ${which}`,
        };
      },
    },
    'kubernetes.events': {
      async run(raw, ctx) {
        const p = raw as ActionParams['kubernetes.events'];
        const events = await call(ctx, `events of ${p.kind} ${p.namespace}/${p.name}`, () => port(p.namespace).events(p));
        const body = events.map((e) => `${e.lastSeen ?? '-'}  ${e.type}  ${e.reason}  x${e.count}  ${e.message}`).join('\n');
        return {
          output: { events },
          evidence: { mediaType: 'text/plain; charset=utf-8', body: `# events of ${p.kind} ${p.namespace}/${p.name}\n${body}\n` },
          summary: `${events.length} events of ${p.kind} ${p.namespace}/${p.name}${events.some((e) => e.type === 'Warning') ? `, ${events.filter((e) => e.type === 'Warning').length} warnings` : ''}`,
        };
      },
    },
    'kubernetes.rollout_restart': {
      async run(raw, ctx) {
        const p = raw as ActionParams['kubernetes.rollout_restart'];
        const at = new Date().toISOString();
        await call(ctx, `restart of ${p.kind} ${p.namespace}/${p.name}`, () => port(p.namespace, p.kind).rolloutRestart({ ...p, at }));
        return { output: { restarted_at: at }, summary: `${p.kind} ${p.namespace}/${p.name} restarted (restartedAt ${at})` };
      },
    },
    'kubernetes.scale': {
      async run(raw, ctx) {
        const p = raw as ActionParams['kubernetes.scale'];
        const { previous } = await call(ctx, `scale of ${p.kind} ${p.namespace}/${p.name}`, () => port(p.namespace, p.kind).scale(p));
        return { output: { previous, replicas: p.replicas }, summary: `${p.kind} ${p.namespace}/${p.name} scaled from ${previous} to ${p.replicas} replicas` };
      },
    },
  };
}

/** Runs one API call, stopped by the step's signal; an API refusal (4xx but 429) is not retried. */
async function call<T>(ctx: ActionContext, what: string, fn: () => Promise<T>): Promise<T> {
  if (ctx.signal.aborted) throw new ActionFailure(`kubernetes: ${what} did not start: the step was stopped`, { retryable: true });
  const aborted = new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () =>
    reject(new ActionFailure(`kubernetes: ${what} did not finish in time`, { retryable: true })), { once: true }));
  try {
    return await Promise.race([fn(), aborted]);
  } catch (err) {
    if (err instanceof ActionFailure) throw err;
    if (err instanceof KubernetesApiError) {
      throw new ActionFailure(`kubernetes: ${what}: the API server answered ${err.status}: ${err.message}`, {
        retryable: err.status === 429 || err.status >= 500, cause: err,
      });
    }
    throw new ActionFailure(`kubernetes: ${what}: ${(err as Error).message}`, { retryable: true, cause: err });
  }
}
