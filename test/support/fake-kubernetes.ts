import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A request the fake API server received. */
export interface KubeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

export const KUBE_TOKEN = 'fake-service-account-token';

/**
 * A local Kubernetes API server speaking the few requests the kubernetes.* actions make, over plain
 * HTTP, as the real API server answers them (objects, Status on errors). Pods' logs, events and
 * workloads are what the test puts in.
 */
export class FakeKubernetes {
  readonly requests: KubeRequest[] = [];
  /** "namespace/pod/container" (container "" for the default) → [current logs, previous logs]. */
  readonly logs = new Map<string, [string, string]>();
  readonly events: { namespace: string; kind: string; name: string; type: string; reason: string; message: string; count: number; lastTimestamp: string }[] = [];
  /** "namespace/kind/name" (kind: deployments, statefulsets, daemonsets) → the object's spec. */
  readonly workloads = new Map<string, { replicas: number; annotations: Record<string, string> }>();

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<FakeKubernetes> {
    const ref: { fake?: FakeKubernetes } = {};
    const server = createServer((req, res) => {
      void ref.fake!.handle(req).then(([status, body]) => {
        res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    ref.fake = new FakeKubernetes(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return ref.fake;
  }

  /** A kubeconfig file whose current context is this server, with a bearer token. */
  kubeconfig(): string {
    const file = join(tmpdir(), `firebreak-kubeconfig-${process.pid}-${Date.now()}.yaml`);
    writeFileSync(file, `apiVersion: v1
kind: Config
clusters:
  - name: fake
    cluster: { server: "${this.url}", insecure-skip-tls-verify: true }   # the client refuses plain http otherwise
users:
  - name: firebreak
    user: { token: ${KUBE_TOKEN} }
contexts:
  - name: fake
    context: { cluster: fake, user: firebreak }
current-context: fake
`);
    return file;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage): Promise<[number, unknown]> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push({
      method: req.method ?? '', path: url.pathname, query: url.searchParams, contentType: req.headers['content-type'],
      authorization: req.headers.authorization, body: text ? JSON.parse(text) as unknown : undefined,
    });
    if (req.headers.authorization !== `Bearer ${KUBE_TOKEN}`) return status(401, 'Unauthorized', 'Unauthorized');
    let m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(url.pathname);
    if (m && req.method === 'GET') {
      const logs = this.logs.get(`${m[1]}/${m[2]}/${url.searchParams.get('container') ?? ''}`);
      if (!logs) return status(404, 'NotFound', `pods "${m[2]}" not found`);
      const text = url.searchParams.get('previous') === 'true' ? logs[1] : logs[0];
      const tail = Number(url.searchParams.get('tailLines') ?? Infinity);
      const lines = text.split('\n').filter(Boolean);
      return [200, lines.slice(Math.max(0, lines.length - tail)).map((l) => `${l}\n`).join('')];
    }
    m = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(url.pathname);
    if (m && req.method === 'GET') {
      const wanted = Object.fromEntries((url.searchParams.get('fieldSelector') ?? '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
      const items = this.events.filter((e) => e.namespace === m![1] && (!wanted['involvedObject.kind'] || e.kind === wanted['involvedObject.kind'])
        && (!wanted['involvedObject.name'] || e.name === wanted['involvedObject.name']));
      return [200, {
        kind: 'EventList', apiVersion: 'v1', metadata: {},
        items: items.map((e, i) => ({
          metadata: { name: `${e.name}.${i}`, namespace: e.namespace }, involvedObject: { kind: e.kind, name: e.name, namespace: e.namespace },
          type: e.type, reason: e.reason, message: e.message, count: e.count, lastTimestamp: e.lastTimestamp,
        })),
      }];
    }
    m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(deployments|statefulsets|daemonsets)\/([^/]+)(\/scale)?$/.exec(url.pathname);
    if (m) {
      const [, namespace, kind, name, scale] = m as unknown as [string, string, string, string, string | undefined];
      const w = this.workloads.get(`${namespace}/${kind}/${name}`);
      if (!w) return status(404, 'NotFound', `${kind}.apps "${name}" not found`);
      const body = this.requests.at(-1)!.body as { spec?: { replicas?: number; template?: { metadata?: { annotations?: Record<string, string> } } } } | undefined;
      if (req.method === 'PATCH' && scale) w.replicas = body?.spec?.replicas ?? w.replicas;
      if (req.method === 'PATCH' && !scale) Object.assign(w.annotations, body?.spec?.template?.metadata?.annotations ?? {});
      if (scale) return [200, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name, namespace }, spec: { replicas: w.replicas }, status: { replicas: w.replicas } }];
      return [200, {
        kind: kind === 'deployments' ? 'Deployment' : kind === 'statefulsets' ? 'StatefulSet' : 'DaemonSet', apiVersion: 'apps/v1',
        metadata: { name, namespace }, spec: { replicas: w.replicas, template: { metadata: { annotations: w.annotations } } },
      }];
    }
    return status(404, 'NotFound', `the server could not find the requested resource (${req.method} ${url.pathname})`);
  }
}

const status = (code: number, reason: string, message: string): [number, unknown] =>
  [code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }];
