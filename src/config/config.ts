import { z } from 'zod';
import { accessPolicy, EVERYONE, type AccessPolicy } from '../access/permissions.js';
import type { DatabaseConfig } from '../db/open.js';
import { DEFAULT_PAGER_SERVICE } from '../incidents/paging.js';
import { parseRoute, type IncidentRoute } from '../incidents/routing.js';
import { ErrorCode, FirebreakError } from '../lib/errors.js';
import { DURATION_PATTERN, formatDuration, parseDuration } from '../lib/duration.js';
import { isLoopbackHost } from '../lib/loopback.js';
import type { PoolName } from '../queue/job.js';

/** Validated, frozen configuration: the only thing the rest of firebreak knows of the environment. */
export interface Config {
  readonly port: number;
  /** The listening address: a loopback one unless a webhook token is set (or unauthenticated webhooks are wanted). */
  readonly host: string;
  readonly database: DatabaseConfig;
  /** Bearer token Alertmanager must send; undefined → only loopback clients are accepted. */
  readonly webhookToken: string | undefined;
  /** Bearer token Grafana's webhook contact point must send; undefined → only loopback clients are accepted there. */
  readonly grafanaWebhookToken: string | undefined;
  /** No token, and webhooks from anywhere accepted all the same: said explicitly (ALERTMANAGER_WEBHOOK_UNAUTHENTICATED). */
  readonly webhookUnauthenticated: boolean;
  readonly webhookMaxBytes: number;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** Undefined when Slack is off (no bot token). */
  readonly slack: SlackConfig | undefined;
  readonly playbooks: PlaybooksConfig;
  readonly jobs: JobsConfig;
  /** How long processed requests, rejected webhooks, old evidence bodies and postmortem drafts are kept (RETAIN_*). */
  readonly retention: RetentionConfig;
  /** Undefined when PagerDuty is off (no routing key, service or API token). */
  readonly pagerduty: PagerDutyConfig | undefined;
  /** Who may do what (ACCESS_*): a permission left unset is everyone's, `admin` nobody's. */
  readonly access: AccessPolicy;
  /** The HTTP API's bearer tokens (FIREBREAK_API_TOKENS); empty: the API answers loopback clients only, read-only. */
  readonly apiTokens: readonly ApiToken[];
  /** Where the `firebreak` CLI finds a running server (FIREBREAK_URL; default this host's PORT), and its token (FIREBREAK_TOKEN). */
  readonly client: { readonly url: string; readonly token: string | undefined };
  /** FIREBREAK_PUBLIC_URL: where people open the console (no trailing slash); Slack messages link to it when set. */
  readonly publicUrl: string | undefined;
  /** INCIDENT_ROUTES: a team's incidents to its channel (and PagerDuty service), first match wins. */
  readonly routes: readonly IncidentRoute[];
  /** Undefined when the kubernetes.* actions are off (KUBERNETES_NAMESPACES unset). */
  readonly kubernetes: KubernetesConfig | undefined;
  /** Undefined when jira.create_issue is off. */
  readonly jira: JiraConfig | undefined;
  /** Undefined when linear.create_issue is off (LINEAR_API_KEY unset). */
  readonly linear: LinearConfig | undefined;
}

/** One bearer token of the HTTP API and the person it belongs to. */
export interface ApiToken {
  /** The person's name: the timeline's actor is `api:<name>` unless a Slack id is mapped. */
  readonly name: string;
  readonly token: string;
  /** Their Slack user id, so that access policies and approver sets apply to them. */
  readonly slackUserId: string | undefined;
}

/** Where jira.create_issue files issues. */
export interface JiraConfig {
  /** The site, like https://example.atlassian.net/ (ending in a slash). */
  readonly url: string;
  readonly email: string;
  readonly apiToken: string;
}

/** Where linear.create_issue files issues. */
export interface LinearConfig {
  readonly apiKey: string;
  /** Linear's GraphQL endpoint (LINEAR_API_URL; https://api.linear.app/graphql). */
  readonly apiUrl: string;
  /** The team a step files to when it names none (LINEAR_TEAM_ID). */
  readonly teamId: string | undefined;
}

/** What kubernetes.* steps may touch, and how firebreak reaches the API server. */
export interface KubernetesConfig {
  /** Namespaces steps may read and change; `*`: every one the service account may. */
  readonly namespaces: readonly string[];
  /** Workload kinds steps may restart or scale. */
  readonly kinds: readonly string[];
  /** A kubeconfig file (its current context); undefined: the pod's service account (in-cluster). */
  readonly kubeconfig: string | undefined;
}

/** How the job queue runs in this process. */
export interface JobsConfig {
  /** A running job's lease; a job whose process died is taken over after at most this long. */
  readonly leaseMs: number;
  /** Jobs each pool runs at once here; 0: none (other replicas run them). */
  readonly concurrency: Readonly<Record<PoolName, number>>;
  /** Done jobs are kept this long, failed ones that long, then housekeeping deletes them. */
  readonly keepDoneMs: number;
  readonly keepFailedMs: number;
  /** On SIGTERM, how long running jobs may take to finish before they are stopped and queued again. */
  readonly shutdownGraceMs: number;
}

/** Ages after which housekeeping prunes rows (milliseconds); timelines are never pruned. */
export interface RetentionConfig {
  readonly processedRequestsMs: number;
  readonly rejectedWebhooksMs: number;
  /** Of incidents resolved (or closed) this long ago. */
  readonly evidenceBodiesMs: number;
  /** Of incidents resolved (or closed) this long ago. */
  readonly postmortemsMs: number;
}

/** A PagerDuty service firebreak pages: its Events API v2 routing key and the escalation policy whose on-call it shows. */
export interface PagerDutyService {
  readonly routingKey: string;
  readonly escalationPolicy: string | undefined;
}

/** How firebreak reaches PagerDuty. */
export interface PagerDutyConfig {
  /** By name (PAGERDUTY_SERVICES); `default` is PAGERDUTY_ROUTING_KEY with PAGERDUTY_ESCALATION_POLICY. */
  readonly services: ReadonlyMap<string, PagerDutyService>;
  /** REST API token for on-call lookups; undefined → no lookups. */
  readonly apiToken: string | undefined;
  /** Events API v2 host (https only): events.pagerduty.com, or events.eu.pagerduty.com. */
  readonly eventsHost: string;
  /** REST API base URL, ending in a slash. */
  readonly apiUrl: string;
  /** Incidents at this severity or worse page by themselves. */
  readonly minSeverity: 'sev1' | 'sev2' | 'sev3' | 'sev4';
  /** v3 webhook signing secret(s); undefined → POST /webhooks/pagerduty answers 404. */
  readonly webhookSecrets: readonly string[];
  /** INCIDENT_ROUTES, whose PagerDuty service an incident of the route pages by itself. */
  readonly routes: readonly IncidentRoute[];
}


/** What playbook steps may reach, and where playbooks are. */
export interface PlaybooksConfig {
  readonly dir: string;
  /** Programs `exec` steps may run (argv[0] as written). Empty: none. */
  readonly execAllowlist: readonly string[];
  /** The PATH exec steps' programs are found on (always passed, with LANG). */
  readonly execPath: string;
  /** The other variables exec steps get (EXEC_ENV), with their values here; a listed variable that is unset is left out. */
  readonly execEnv: Readonly<Record<string, string>>;
  /** Hosts `http` steps may call. Empty: none. */
  readonly httpAllowedHosts: readonly string[];
  readonly prometheusUrl: string | undefined;
  readonly alertmanagerUrl: string | undefined;
  readonly evidenceMaxBytes: number;
}

/** How firebreak reaches Slack. */
export interface SlackConfig {
  readonly botToken: string;
  /** HTTP mode: requests to POST /slack/events are verified with it. */
  readonly signingSecret: string | undefined;
  /** Set: Socket Mode (firebreak connects out to Slack; no public URL needed). */
  readonly appToken: string | undefined;
  /** Web API base URL, ending in a slash. */
  readonly apiUrl: string;
  /** Channel id (or name) where incident cards go. */
  readonly incidentChannel: string;
  readonly createChannels: boolean;
  /** Other workspaces (T…) or Grid organizations (E…) whose requests are accepted. */
  readonly allowedTeamIds: readonly string[];
  /** Accept people of other organizations in Slack Connect channels. */
  readonly allowExternalUsers: boolean;
  /** Every post and edit in a channel goes through its budget (SLACK_CHANNEL_RATE, SLACK_CHANNEL_BURST). */
  readonly budget: SlackBudgetConfig;
  readonly outage: OutageConfig;
}

/** The per-channel rate budget: messages per second, and how many may go at once after a quiet spell. */
export interface SlackBudgetConfig {
  readonly perSecond: number;
  readonly burst: number;
}

/** Outage mode: more than `threshold` new incidents within `windowMs` in one channel. */
export interface OutageConfig {
  readonly threshold: number;
  readonly windowMs: number;
  /** Incidents at this severity or worse keep their own card during an outage. */
  readonly ownCardSeverity: 'sev1' | 'sev2' | 'sev3' | 'sev4';
}

// An empty value (`PORT=` in a .env file) means "not set", as it does for most twelve-factor tools.
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const integer = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });

// A comma-separated list, each item matching `item`.
const list = (item: RegExp, what: string) =>
  z.string().transform((v) => v.split(',').map((x) => x.trim()).filter(Boolean)).refine((xs) => xs.every((x) => item.test(x)), {
    error: `must be ${what}`,
  });

// Events API v2 integration keys are 32 characters of letters and digits.
const ROUTING_KEY = /^[A-Za-z0-9]{32}$/;

const boolean = () => z.enum(['true', 'false', '1', '0'], { error: 'must be true or false' }).transform((v) => v === 'true' || v === '1');

// Who holds a permission: Slack user ids, @user-group handles, or * for everyone.
const holders = () => list(/^(\*|[UW][A-Z0-9]{2,}|@[a-z0-9][a-z0-9._-]*)$/, 'Slack user ids (U…), @user-group handles or *, separated by commas')
  .refine((xs) => xs.length > 0, { error: 'must name at least one holder (leave it unset for everyone)' });

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

// A duration like 60s or 5m, in milliseconds, between `min` and `max`.
const duration = (min: number, max: number) =>
  z.string().regex(DURATION_PATTERN, { error: 'must be a duration like 30s, 5m or 1h' }).transform(parseDuration)
    .refine((ms) => ms >= min && ms <= max, { error: `must be between ${formatDuration(min)} and ${formatDuration(max)}` });

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const envSchema = z.object({
  PORT: optional(integer(0, 65535)),
  HOST: optional(z.string()),
  DATABASE_URL: optional(
    z.string().regex(/^postgres(ql)?:\/\/\S+$/, { error: 'must be a postgres:// or postgresql:// URL' }),
  ),
  FIREBREAK_DATA_DIR: optional(z.string()),
  ALERTMANAGER_WEBHOOK_TOKEN: optional(
    z.string().regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces (it travels in an HTTP header)' }),
  ),
  ALERTMANAGER_WEBHOOK_UNAUTHENTICATED: optional(boolean()),
  GRAFANA_WEBHOOK_TOKEN: optional(
    z.string().regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces (it travels in an HTTP header)' }),
  ),
  // 1 KiB floor: below that not even one alert fits. 1 GiB ceiling: the body is held in memory.
  WEBHOOK_MAX_BYTES: optional(integer(1024, 1024 * 1024 * 1024)),
  LOG_LEVEL: optional(
    z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }),
  ),
  SLACK_BOT_TOKEN: optional(z.string().regex(/^xoxb-[\x21-\x7e]+$/, { error: 'must be a bot token (xoxb-…)' })),
  SLACK_SIGNING_SECRET: optional(z.string().regex(/^[0-9a-f]{16,}$/i, { error: 'must be the app\'s signing secret (hex)' })),
  SLACK_APP_TOKEN: optional(z.string().regex(/^xapp-[\x21-\x7e]+$/, { error: 'must be an app-level token (xapp-…)' })),
  SLACK_API_URL: optional(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })),
  SLACK_INCIDENT_CHANNEL: optional(
    z.string().regex(/^(#?[a-z0-9_-]{1,80}|[CG][A-Z0-9]{2,})$/, { error: 'must be a channel id (C…) or name' }),
  ),
  SLACK_CREATE_CHANNELS: optional(boolean()),
  SLACK_ALLOWED_TEAM_IDS: optional(list(/^[TE][A-Z0-9]{2,}$/, 'Slack workspace (T…) or organization (E…) ids, separated by commas')),
  SLACK_ALLOW_EXTERNAL_USERS: optional(boolean()),
  // Slack allows about one message per second per channel; more than 10 is refused by Slack anyway.
  SLACK_CHANNEL_RATE: optional(z.coerce.number({ error: 'must be a number' }).min(0.05, { error: 'must be at least 0.05' }).max(10, { error: 'must be at most 10' })),
  SLACK_CHANNEL_BURST: optional(integer(1, 20)),
  // At least 2: one incident is not an outage.
  OUTAGE_THRESHOLD: optional(integer(2, 10_000)),
  OUTAGE_WINDOW: optional(duration(1_000, 24 * HOUR_MS)),
  OUTAGE_OWN_CARD_SEVERITY: optional(z.enum(['sev1', 'sev2', 'sev3', 'sev4'], { error: 'must be sev1, sev2, sev3 or sev4' })),
  ACCESS_READ: optional(holders()),
  ACCESS_RESPOND: optional(holders()),
  ACCESS_COMMAND: optional(holders()),
  ACCESS_RUN: optional(holders()),
  ACCESS_PAGE: optional(holders()),
  ACCESS_ADMIN: optional(holders()),
  PLAYBOOKS_DIR: optional(z.string()),
  EXEC_ALLOWLIST: optional(list(/^[\w./+-]+$/, 'program names or absolute paths, separated by commas')),
  EXEC_ENV: optional(list(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names, separated by commas')),
  HTTP_ACTION_ALLOWED_HOSTS: optional(list(/^(\*\.)?[a-z0-9.-]+(:\d{1,5})?$/i, 'host names (or *.domain), separated by commas')),
  PROMETHEUS_URL: optional(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })),
  ALERTMANAGER_URL: optional(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })),
  // 1 KiB floor: less says nothing; 64 MiB ceiling: evidence is held in memory and in one row.
  EVIDENCE_MAX_BYTES: optional(integer(1024, 64 * 1024 * 1024)),
  // 2 s floor: the lease is renewed every third of it, so shorter would be mostly renewals.
  JOB_LEASE_SECONDS: optional(integer(2, 3600)),
  // Pools: 0 leaves a pool's jobs to other replicas. 100 is far above what one process can use.
  JOB_STEPS_CONCURRENCY: optional(integer(0, 100)),
  JOB_NOTIFY_CONCURRENCY: optional(integer(0, 100)),
  JOB_INTERNAL_CONCURRENCY: optional(integer(0, 100)),
  // At least an hour: a job just done is what an operator asks about. At most ten years.
  JOB_KEEP_DONE_HOURS: optional(integer(1, 87_600)),
  JOB_KEEP_FAILED_HOURS: optional(integer(1, 87_600)),
  // Orchestrators kill a process some seconds after SIGTERM (Kubernetes: 30 s by default).
  SHUTDOWN_GRACE_SECONDS: optional(integer(0, 3600)),
  // Retention. Processed requests: at least an hour, as Slack retries within minutes. The others are
  // for people to look at, so at least a day; at most ten years.
  RETAIN_PROCESSED_REQUESTS_HOURS: optional(integer(1, 87_600)),
  RETAIN_REJECTED_WEBHOOKS_DAYS: optional(integer(1, 3_650)),
  RETAIN_EVIDENCE_DAYS: optional(integer(1, 3_650)),
  RETAIN_POSTMORTEM_DAYS: optional(integer(1, 3_650)),
  PATH: optional(z.string()),
  INCIDENT_ROUTES: optional(list(/^[^,]+$/, 'label=value:channel[:pagerduty-service] items, separated by commas').transform((items, ctx) => items.map((item) => {
    const route = parseRoute(item);
    if (!route) ctx.addIssue({ code: 'custom', message: `must be label=value:channel[:pagerduty-service] items, separated by commas: "${item}" is not (team=payments:C0PAYMENTS:payments)` });
    return route!;
  }))),
  KUBERNETES_NAMESPACES: optional(list(/^(\*|[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)$/, 'namespace names (or *), separated by commas')),
  KUBERNETES_KINDS: optional(list(/^(deployment|statefulset|daemonset)$/, 'deployment, statefulset or daemonset, separated by commas')),
  KUBERNETES_KUBECONFIG: optional(z.string()),
  JIRA_URL: optional(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })),
  JIRA_EMAIL: optional(z.string().regex(/^[^\s@]+@[^\s@]+$/, { error: 'must be the email of the Jira account' })),
  JIRA_API_TOKEN: optional(z.string().regex(/^[\x21-\x7e]{8,}$/, { error: 'must be an API token (printable, no spaces)' })),
  LINEAR_API_KEY: optional(z.string().regex(/^[\x21-\x7e]{8,}$/, { error: 'must be a Linear API key (printable, no spaces)' })),
  LINEAR_API_URL: optional(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })),
  LINEAR_TEAM_ID: optional(z.uuid({ error: 'must be a Linear team id (a UUID)' })),
  PAGERDUTY_ROUTING_KEY: optional(z.string().regex(ROUTING_KEY, { error: 'must be an Events API v2 integration key (32 letters and digits)' })),
  PAGERDUTY_SERVICES: optional(
    list(new RegExp(`^[a-z0-9][a-z0-9_-]{0,62}=${ROUTING_KEY.source.slice(1, -1)}(/P[A-Z0-9]{2,})?$`), 'name=routing_key or name=routing_key/ESCALATION_POLICY_ID items, separated by commas'),
  ),
  PAGERDUTY_API_TOKEN: optional(z.string().regex(/^[\x21-\x7e]{8,}$/, { error: 'must be a REST API token (printable, no spaces)' })),
  PAGERDUTY_EVENTS_HOST: optional(z.string().regex(/^[a-z0-9.-]+(:\d{1,5})?$/i, { error: 'must be a host name (and port), without https://' })),
  PAGERDUTY_API_URL: optional(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })),
  PAGERDUTY_ESCALATION_POLICY: optional(z.string().regex(/^P[A-Z0-9]{2,}$/, { error: 'must be an escalation policy id (P…)' })),
  PAGERDUTY_MIN_SEVERITY: optional(z.enum(['sev1', 'sev2', 'sev3', 'sev4'], { error: 'must be sev1, sev2, sev3 or sev4' })),
  FIREBREAK_API_TOKENS: optional(
    list(/^[a-z0-9][a-z0-9._-]{0,62}:[\x21-\x2b\x2d-\x39\x3b-\x7e]{16,}(:[UW][A-Z0-9]{2,})?$/, 'name:token or name:token:SLACKUSERID items (tokens 16+ printable characters without , or :), separated by commas'),
  ),
  FIREBREAK_URL: optional(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })),
  // Lands inside Slack's <url|text> links: no characters that would end one.
  FIREBREAK_PUBLIC_URL: optional(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).refine((u) => !/[|<>\s]/.test(u), { error: 'must not contain |, <, > or spaces' })),
  FIREBREAK_TOKEN: optional(z.string().regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces (it travels in an HTTP header)' })),
  PAGERDUTY_WEBHOOK_SECRET: optional(list(/^[\x21-\x2b\x2d-\x7e]{8,}$/, 'webhook signing secrets (8+ printable characters), separated by commas')),
}).superRefine((e, ctx) => {
  // Alertmanager's API is unauthenticated by default: whoever reaches firebreak without a token can open incidents.
  // A source whose token is unset still takes only loopback clients, whatever HOST is.
  if (!e.ALERTMANAGER_WEBHOOK_TOKEN && !e.GRAFANA_WEBHOOK_TOKEN && e.HOST && !isLoopbackHost(e.HOST) && !e.ALERTMANAGER_WEBHOOK_UNAUTHENTICATED) {
    ctx.addIssue({
      code: 'custom', path: ['HOST'],
      message: 'is not a loopback address and ALERTMANAGER_WEBHOOK_TOKEN is not set: set the token (or ALERTMANAGER_WEBHOOK_UNAUTHENTICATED=true to accept webhooks from anyone who can reach firebreak)',
    });
  }
  if (e.ALERTMANAGER_WEBHOOK_TOKEN && e.ALERTMANAGER_WEBHOOK_UNAUTHENTICATED) {
    ctx.addIssue({ code: 'custom', path: ['ALERTMANAGER_WEBHOOK_UNAUTHENTICATED'], message: 'is true but ALERTMANAGER_WEBHOOK_TOKEN is set: unset one of them' });
  }
  if (e.PAGERDUTY_SERVICES?.some((s) => s.startsWith(`${DEFAULT_PAGER_SERVICE}=`))) {
    ctx.addIssue({ code: 'custom', path: ['PAGERDUTY_SERVICES'], message: `must not name "${DEFAULT_PAGER_SERVICE}": set PAGERDUTY_ROUTING_KEY for it` });
  }

  const apiNames = (e.FIREBREAK_API_TOKENS ?? []).map((item) => item.split(':')[0]);
  if (new Set(apiNames).size < apiNames.length) {
    ctx.addIssue({ code: 'custom', path: ['FIREBREAK_API_TOKENS'], message: 'names a person twice: one token per name' });
  }
  const leaked = e.EXEC_ENV?.filter(isFirebreakSecret);
  if (leaked?.length) {
    ctx.addIssue({ code: 'custom', path: ['EXEC_ENV'], message: `must not name firebreak's own secrets (${leaked.join(', ')}): they stay in firebreak` });
  }

  const jiraVars = ['JIRA_URL', 'JIRA_EMAIL', 'JIRA_API_TOKEN'] as const;
  if (jiraVars.some((v) => e[v] !== undefined)) {
    for (const v of jiraVars) if (e[v] === undefined) ctx.addIssue({ code: 'custom', path: [v], message: `is required with ${jiraVars.filter((x) => x !== v).join(' and ')}` });
  }

  const pagerServices = new Set([...(e.PAGERDUTY_ROUTING_KEY ? [DEFAULT_PAGER_SERVICE] : []), ...(e.PAGERDUTY_SERVICES ?? []).map((s) => s.split('=')[0]!)]);
  for (const route of e.INCIDENT_ROUTES ?? []) {
    if (route?.pagerService !== undefined && !pagerServices.has(route.pagerService)) {
      ctx.addIssue({
        code: 'custom', path: ['INCIDENT_ROUTES'],
        message: `names PagerDuty service "${route.pagerService}" (for ${route.label}=${route.value}), which is not configured (PAGERDUTY_ROUTING_KEY is "default", PAGERDUTY_SERVICES the others)`,
      });
    }
  }

  if (e.ACCESS_ADMIN?.includes(EVERYONE)) {
    ctx.addIssue({ code: 'custom', path: ['ACCESS_ADMIN'], message: 'must not be * (admin holds every permission: that would undo every other ACCESS_ line)' });
  }

  const slackVars = [
    'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_INCIDENT_CHANNEL', 'SLACK_ALLOWED_TEAM_IDS', 'SLACK_ALLOW_EXTERNAL_USERS',
    'SLACK_CHANNEL_RATE', 'SLACK_CHANNEL_BURST', 'OUTAGE_THRESHOLD', 'OUTAGE_WINDOW', 'OUTAGE_OWN_CARD_SEVERITY',
  ] as const;
  if (!e.SLACK_BOT_TOKEN) {
    for (const name of slackVars) {
      if (e[name] !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'is set but SLACK_BOT_TOKEN is not: set both, or neither' });
    }
    return;
  }
  if (!e.SLACK_INCIDENT_CHANNEL) ctx.addIssue({ code: 'custom', path: ['SLACK_INCIDENT_CHANNEL'], message: 'is required when SLACK_BOT_TOKEN is set' });
  if (!e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
    ctx.addIssue({
      code: 'custom', path: ['SLACK_SIGNING_SECRET'],
      message: 'is required when SLACK_BOT_TOKEN is set (or set SLACK_APP_TOKEN for Socket Mode)',
    });
  }
  // Run even when single variables are wrong too: one message names every problem.
}, { when: () => true });

/** Variables whose values must never be echoed back in an error message. */
const SECRET_VARIABLES = new Set([
  'DATABASE_URL', 'ALERTMANAGER_WEBHOOK_TOKEN', 'GRAFANA_WEBHOOK_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN',
  'PAGERDUTY_ROUTING_KEY', 'PAGERDUTY_SERVICES', 'PAGERDUTY_API_TOKEN', 'PAGERDUTY_WEBHOOK_SECRET', 'FIREBREAK_API_TOKENS', 'FIREBREAK_TOKEN',
  'JIRA_API_TOKEN', 'LINEAR_API_KEY',
]);

/** firebreak's credentials and the playbooks' `{{ secret.NAME }}` values: never handed to an exec step. */
const isFirebreakSecret = (name: string) => SECRET_VARIABLES.has(name) || name.startsWith('FIREBREAK_SECRET_');

// Always set by firebreak for exec steps; EXEC_ENV naming them changes nothing.
const EXEC_FIXED = new Set(['PATH']);

/** The variables EXEC_ENV names that are set here, with their values. */
function execEnvironment(names: readonly string[], env: Record<string, string | undefined>): Readonly<Record<string, string>> {
  return Object.freeze(Object.fromEntries(names.filter((n) => !EXEC_FIXED.has(n) && env[n] !== undefined).map((n) => [n, env[n]!])));
}

/**
 * Reads and validates the environment. Throws one FirebreakError(ConfigInvalid) naming every wrong
 * variable and why, so an operator fixes them all in one go.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const value = env[name];
      const shown = SECRET_VARIABLES.has(name) || value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
      return `  - ${name}: ${issue.message}${shown}`;
    });
    throw new FirebreakError(ErrorCode.ConfigInvalid, `Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return Object.freeze({
    port: e.PORT ?? 3000,
    // Without a token, only this host may send webhooks: by default, only this host can connect.
    host: e.HOST ?? (e.ALERTMANAGER_WEBHOOK_TOKEN || e.GRAFANA_WEBHOOK_TOKEN || e.ALERTMANAGER_WEBHOOK_UNAUTHENTICATED ? '0.0.0.0' : '127.0.0.1'),
    database: Object.freeze(
      e.DATABASE_URL
        ? { kind: 'postgres' as const, url: e.DATABASE_URL }
        : { kind: 'pglite' as const, dataDir: e.FIREBREAK_DATA_DIR ?? './data' },
    ),
    webhookToken: e.ALERTMANAGER_WEBHOOK_TOKEN,
    grafanaWebhookToken: e.GRAFANA_WEBHOOK_TOKEN,
    webhookUnauthenticated: e.ALERTMANAGER_WEBHOOK_UNAUTHENTICATED ?? false,
    webhookMaxBytes: e.WEBHOOK_MAX_BYTES ?? 16 * 1024 * 1024,
    logLevel: e.LOG_LEVEL ?? 'info',
    slack: e.SLACK_BOT_TOKEN
      ? Object.freeze({
        botToken: e.SLACK_BOT_TOKEN,
        signingSecret: e.SLACK_SIGNING_SECRET,
        appToken: e.SLACK_APP_TOKEN,
        apiUrl: (e.SLACK_API_URL ?? 'https://slack.com/api/').replace(/\/?$/, '/'),
        incidentChannel: e.SLACK_INCIDENT_CHANNEL!.replace(/^#/, ''),
        createChannels: e.SLACK_CREATE_CHANNELS ?? false,
        allowedTeamIds: Object.freeze(e.SLACK_ALLOWED_TEAM_IDS ?? []),
        allowExternalUsers: e.SLACK_ALLOW_EXTERNAL_USERS ?? false,
        budget: Object.freeze({ perSecond: e.SLACK_CHANNEL_RATE ?? 1, burst: e.SLACK_CHANNEL_BURST ?? 3 }),
        outage: Object.freeze({
          threshold: e.OUTAGE_THRESHOLD ?? 5, windowMs: e.OUTAGE_WINDOW ?? 60_000, ownCardSeverity: e.OUTAGE_OWN_CARD_SEVERITY ?? 'sev1',
        }),
      })
      : undefined,
    playbooks: Object.freeze({
      dir: e.PLAYBOOKS_DIR ?? './playbooks',
      execAllowlist: Object.freeze(e.EXEC_ALLOWLIST ?? []),
      execPath: e.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      execEnv: execEnvironment(e.EXEC_ENV ?? [], env),
      httpAllowedHosts: Object.freeze(e.HTTP_ACTION_ALLOWED_HOSTS ?? []),
      prometheusUrl: e.PROMETHEUS_URL?.replace(/\/?$/, '/'),
      alertmanagerUrl: e.ALERTMANAGER_URL?.replace(/\/?$/, '/'),
      evidenceMaxBytes: e.EVIDENCE_MAX_BYTES ?? 1024 * 1024,
    }),
    jobs: Object.freeze({
      leaseMs: (e.JOB_LEASE_SECONDS ?? 30) * 1000,
      concurrency: Object.freeze({ steps: e.JOB_STEPS_CONCURRENCY ?? 8, notify: e.JOB_NOTIFY_CONCURRENCY ?? 4, internal: e.JOB_INTERNAL_CONCURRENCY ?? 2 }),
      keepDoneMs: (e.JOB_KEEP_DONE_HOURS ?? 24) * HOUR_MS,
      keepFailedMs: (e.JOB_KEEP_FAILED_HOURS ?? 14 * 24) * HOUR_MS,
      shutdownGraceMs: (e.SHUTDOWN_GRACE_SECONDS ?? 20) * 1000,
    }),
    retention: Object.freeze({
      processedRequestsMs: (e.RETAIN_PROCESSED_REQUESTS_HOURS ?? 24) * HOUR_MS,
      rejectedWebhooksMs: (e.RETAIN_REJECTED_WEBHOOKS_DAYS ?? 30) * DAY_MS,
      evidenceBodiesMs: (e.RETAIN_EVIDENCE_DAYS ?? 180) * DAY_MS,
      postmortemsMs: (e.RETAIN_POSTMORTEM_DAYS ?? 365) * DAY_MS,
    }),
    pagerduty: pagerDutyConfig(e),
    routes: Object.freeze(e.INCIDENT_ROUTES ?? []),
    kubernetes: e.KUBERNETES_NAMESPACES
      ? Object.freeze({
        namespaces: Object.freeze(e.KUBERNETES_NAMESPACES),
        kinds: Object.freeze(e.KUBERNETES_KINDS ?? ['deployment', 'statefulset']),
        kubeconfig: e.KUBERNETES_KUBECONFIG,
      })
      : undefined,
    jira: e.JIRA_URL && e.JIRA_EMAIL && e.JIRA_API_TOKEN
      ? Object.freeze({ url: e.JIRA_URL.replace(/\/?$/, '/'), email: e.JIRA_EMAIL, apiToken: e.JIRA_API_TOKEN })
      : undefined,
    linear: e.LINEAR_API_KEY
      ? Object.freeze({ apiKey: e.LINEAR_API_KEY, apiUrl: e.LINEAR_API_URL ?? 'https://api.linear.app/graphql', teamId: e.LINEAR_TEAM_ID })
      : undefined,
    access: accessPolicy({
      read: e.ACCESS_READ, respond: e.ACCESS_RESPOND, command: e.ACCESS_COMMAND, run: e.ACCESS_RUN, page: e.ACCESS_PAGE, admin: e.ACCESS_ADMIN,
    }),
    apiTokens: Object.freeze((e.FIREBREAK_API_TOKENS ?? []).map((item) => {
      const [name, token, slackUserId] = item.split(':') as [string, string, string | undefined];
      return Object.freeze({ name, token, slackUserId });
    })),
    publicUrl: e.FIREBREAK_PUBLIC_URL?.replace(/\/+$/, ''),
    client: Object.freeze({ url: (e.FIREBREAK_URL ?? `http://127.0.0.1:${e.PORT || 3000}`).replace(/\/$/, ''), token: e.FIREBREAK_TOKEN }),
  });
}

function pagerDutyConfig(e: z.output<typeof envSchema>): PagerDutyConfig | undefined {
  const services = new Map<string, PagerDutyService>();
  if (e.PAGERDUTY_ROUTING_KEY) {
    services.set(DEFAULT_PAGER_SERVICE, Object.freeze({ routingKey: e.PAGERDUTY_ROUTING_KEY, escalationPolicy: e.PAGERDUTY_ESCALATION_POLICY }));
  }
  for (const item of e.PAGERDUTY_SERVICES ?? []) {
    const [name, rest] = item.split('=') as [string, string];
    const [routingKey, escalationPolicy] = rest.split('/') as [string, string | undefined];
    services.set(name, Object.freeze({ routingKey, escalationPolicy: escalationPolicy ?? e.PAGERDUTY_ESCALATION_POLICY }));
  }
  if (!services.size && !e.PAGERDUTY_API_TOKEN) return undefined;
  return Object.freeze({
    services,
    apiToken: e.PAGERDUTY_API_TOKEN,
    eventsHost: e.PAGERDUTY_EVENTS_HOST ?? 'events.pagerduty.com',
    apiUrl: (e.PAGERDUTY_API_URL ?? 'https://api.pagerduty.com/').replace(/\/?$/, '/'),
    minSeverity: e.PAGERDUTY_MIN_SEVERITY ?? 'sev2',
    webhookSecrets: Object.freeze(e.PAGERDUTY_WEBHOOK_SECRET ?? []),
    routes: Object.freeze(e.INCIDENT_ROUTES ?? []),
  });
}

/**
 * The process environment, with a `.env` file in the working directory loaded first when there is
 * one (variables already set win). This module is the one reader of process.env.
 */
export function readProcessEnv(envFile = '.env'): Record<string, string | undefined> {
  try {
    process.loadEnvFile(envFile);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return { ...process.env };
}
