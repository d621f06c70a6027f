import { z } from 'zod';
import { DURATION_PATTERN } from '../lib/duration.js';

/**
 * The parameters (`with:`) of each action. As written in a file, a value may be a template that is
 * only known when the step runs; once rendered, the strict form must hold. Both come from one
 * definition, so they cannot drift apart.
 */
export const ACTION_NAMES = [
  'http', 'exec', 'prometheus.query', 'prometheus.query_range', 'alertmanager.silence', 'slack.message', 'pagerduty.trigger', 'wait',
  'kubernetes.logs', 'kubernetes.events', 'kubernetes.rollout_restart', 'kubernetes.scale', 'jira.create_issue',
  'linear.create_issue',
] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** Actions whose steps are not re-run after a crash unless the step says `idempotent: true`. */
export const NOT_IDEMPOTENT_BY_DEFAULT: ReadonlySet<ActionName> = new Set(['exec', 'http', 'kubernetes.rollout_restart']);

type Mode = 'written' | 'rendered';

function text(mode: Mode, inner: z.ZodString, description: string) {
  const described = inner.describe(description);
  if (mode === 'rendered') return described;
  // A template's value is checked once rendered; what is fixed is checked now.
  return z.string().describe(description).refine((v) => v.includes('{{') || inner.safeParse(v).success, {
    error: (issue) => inner.safeParse(issue.input).error?.issues[0]?.message ?? 'is invalid',
  });
}

const duration = (mode: Mode, description: string) =>
  text(mode, z.string().regex(DURATION_PATTERN, { error: 'must be a duration like 30s, 15m or 2h' }), description);
const url = (mode: Mode, description: string) =>
  text(mode, z.string().regex(/^https?:\/\/[^\s/]+/i, { error: 'must be an http(s) URL' }), description);

// A Kubernetes object name (DNS-1123 subdomain): no `,` `=` `/` or space, so it cannot widen a field selector or a path.
const k8sName = (mode: Mode, description: string) =>
  text(mode, z.string().regex(/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/, { error: 'must be a Kubernetes name (lowercase letters, digits, - and .)' }), description);

/** The `with:` schema of each action, as written (`written`) or after templates are filled (`rendered`). */
export function paramSchemas(mode: Mode) {
  const any = z.string();
  return {
    http: z.object({
      method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
      url: url(mode, 'The URL; its host must be in HTTP_ACTION_ALLOWED_HOSTS.'),
      headers: z.record(z.string(), z.string()).optional().describe('Request headers.'),
      body: z.union([z.string(), z.record(z.string(), z.unknown())]).optional()
        .describe('A string, or an object sent as JSON.'),
      expect_status: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)]).optional()
        .describe('The status code(s) that count as success; any 2xx when unset.'),
    }).strict(),
    exec: z.object({
      argv: z.array(text(mode, any.min(1, { error: 'must not be empty' }), 'One argument.')).min(1)
        .describe('The program (listed in EXEC_ALLOWLIST) and its arguments, each passed as one argument: no shell.'),
      stdin: z.string().optional().describe('Text written to the program\'s standard input.'),
    }).strict(),
    'prometheus.query': z.object({
      query: z.string().min(1).describe('A PromQL instant query.'),
    }).strict(),
    'prometheus.query_range': z.object({
      query: z.string().min(1).describe('A PromQL range query.'),
      range: duration(mode, 'How far back from now.').default('30m'),
      step: duration(mode, 'Resolution; by default range/120.').optional(),
    }).strict(),
    'alertmanager.silence': z.object({
      duration: duration(mode, 'How long the silence lasts.'),
      comment: z.string().max(1000).optional(),
      matchers: z.array(z.string()).min(1).optional()
        .describe('Matchers like service="checkout"; by default the labels all of the incident\'s alerts share.'),
    }).strict(),
    'slack.message': z.object({
      text: z.string().min(1).max(3000).describe('Posted in the incident\'s thread (escaped: no mentions or links from templates).'),
    }).strict(),
    'pagerduty.trigger': z.object({
      service: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { error: 'must be a PAGERDUTY_SERVICES name or default' }).optional()
        .describe('The PagerDuty service to page; by default the incident\'s own (its service label, else default).'),
    }).strict(),
    wait: z.object({
      duration: duration(mode, 'How long to wait before the next step.'),
    }).strict(),
    'kubernetes.logs': z.object({
      namespace: k8sName(mode, 'The pod\'s namespace (in KUBERNETES_NAMESPACES).'),
      pod: k8sName(mode, 'The pod.'),
      container: k8sName(mode, 'The container; the pod\'s only one when unset.').optional(),
      previous: z.boolean().default(false).describe('The previous (crashed) instance of the container.'),
      tail: z.number().int().min(1).max(10_000).default(500).describe('The last N lines.'),
    }).strict(),
    'kubernetes.events': z.object({
      namespace: k8sName(mode, 'The object\'s namespace (in KUBERNETES_NAMESPACES).'),
      kind: z.string().regex(/^[A-Z][A-Za-z0-9]{0,62}$/, { error: 'must be a Kubernetes kind like Pod or Deployment' }).default('Pod'),
      name: k8sName(mode, 'The object whose events are read.'),
    }).strict(),
    'kubernetes.rollout_restart': z.object({
      namespace: k8sName(mode, 'The namespace (in KUBERNETES_NAMESPACES).'),
      kind: z.enum(['deployment', 'statefulset', 'daemonset']).default('deployment').describe('In KUBERNETES_KINDS.'),
      name: k8sName(mode, 'The workload to restart, as kubectl rollout restart does.'),
    }).strict(),
    'kubernetes.scale': z.object({
      namespace: k8sName(mode, 'The namespace (in KUBERNETES_NAMESPACES).'),
      kind: z.enum(['deployment', 'statefulset']).default('deployment').describe('In KUBERNETES_KINDS.'),
      name: k8sName(mode, 'The workload to scale.'),
      replicas: z.number().int().min(0).max(1000).describe('The replicas it should have.'),
    }).strict(),
    'jira.create_issue': z.object({
      project: z.string().regex(/^[A-Z][A-Z0-9_]{0,49}$/, { error: 'must be a Jira project key like OPS' }).describe('The project key.'),
      summary: z.string().min(1).max(255).describe('The issue\'s summary.'),
      description: z.string().max(30_000).optional().describe('Plain text; firebreak adds the incident it is for.'),
      issue_type: z.string().min(1).max(60).default('Task').describe('Task, Bug, …'),
      labels: z.array(z.string().regex(/^[^\s]{1,255}$/, { error: 'must be a label without spaces' })).max(20).optional(),
    }).strict(),
    'linear.create_issue': z.object({
      team_id: text(mode, z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { error: 'must be a Linear team id (a UUID)' }), 'The team (its id); LINEAR_TEAM_ID when left out.').optional(),
      title: z.string().min(1).max(255).describe('The issue\'s title.'),
      description: z.string().max(30_000).optional().describe('Markdown; firebreak adds the incident it is for.'),
      priority: z.number().int().min(0).max(4).optional().describe('0 none, 1 urgent, 2 high, 3 medium, 4 low.'),
    }).strict(),
  } satisfies Record<ActionName, z.ZodType>;
}

export const WRITTEN_PARAMS = paramSchemas('written');
export const RENDERED_PARAMS = paramSchemas('rendered');

/** Rendered parameters of each action. */
export type ActionParams = { [K in ActionName]: z.output<(typeof RENDERED_PARAMS)[K]> };
