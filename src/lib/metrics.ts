import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Reads open incident counts by severity at scrape time (from the database, so all replicas agree). */
export type OpenIncidentsReader = () => Promise<Record<string, number>>;

/** Resolves when the database answers a trivial query, rejects when it cannot (read at scrape time). */
export type DatabasePing = () => Promise<unknown>;

/** firebreak's Prometheus instruments, on a registry of their own (no global state). */
export interface Metrics {
  registry: Registry;
  webhookRequests: Counter<'code'>;
  webhookDuration: Histogram;
  alertsReceived: Counter<'status'>;
  rejectedWebhooks: Counter<'reason'>;
  jobs: Counter<'kind' | 'outcome'>;
  slackCalls: Counter<'method' | 'outcome'>;
  steps: Counter<'action' | 'outcome'>;
  approvals: Counter<'outcome'>;
  accessRefused: Counter<'action'>;
  playbooksLoaded: Gauge;
  playbookProblems: Gauge;
  pagerCalls: Counter<'call' | 'outcome'>;
  postmortems: Counter<'outcome'>;
}

export function createMetrics(openIncidents: OpenIncidentsReader, pingDatabase?: DatabasePing): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'firebreak_' });
  const metrics: Metrics = {
    registry,
    webhookRequests: new Counter({
      name: 'firebreak_webhook_requests_total', help: 'Alertmanager webhook requests by HTTP status code.',
      labelNames: ['code'], registers: [registry],
    }),
    webhookDuration: new Histogram({
      name: 'firebreak_webhook_duration_seconds', help: 'Time from request to response for Alertmanager webhooks.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
    }),
    alertsReceived: new Counter({
      name: 'firebreak_alerts_received_total', help: 'Alerts in accepted webhooks, by alert status.',
      labelNames: ['status'], registers: [registry],
    }),
    rejectedWebhooks: new Counter({
      name: 'firebreak_rejected_webhooks_total', help: 'Webhooks refused as unacceptable (4xx), by reason.',
      labelNames: ['reason'], registers: [registry],
    }),
    jobs: new Counter({
      name: 'firebreak_jobs_total', help: 'Job runs by kind and outcome (done, retried, postponed, failed).',
      labelNames: ['kind', 'outcome'], registers: [registry],
    }),
    slackCalls: new Counter({
      name: 'firebreak_slack_api_calls_total',
      help: 'Slack Web API calls by method and outcome (ok, rate_limited, http_error, network_error, platform_error).',
      labelNames: ['method', 'outcome'], registers: [registry],
    }),
    steps: new Counter({
      name: 'firebreak_playbook_steps_total',
      help: 'Playbook step attempts by action and outcome (succeeded, failed, retried, needs_attention, cancelled, refused).',
      labelNames: ['action', 'outcome'], registers: [registry],
    }),
    approvals: new Counter({
      name: 'firebreak_approvals_total', help: 'Approval requests and decisions (requested, approved, denied, expired, refused).',
      labelNames: ['outcome'], registers: [registry],
    }),
    accessRefused: new Counter({
      name: 'firebreak_access_refused_total',
      help: 'Requests refused by the access policy, an approver set or the Slack origin checks, by action (resolve, run, approve, …).',
      labelNames: ['action'], registers: [registry],
    }),
    playbooksLoaded: new Gauge({ name: 'firebreak_playbooks_loaded', help: 'Playbooks loaded and in use.', registers: [registry] }),
    playbookProblems: new Gauge({
      name: 'firebreak_playbook_load_errors', help: 'Problems found in playbook files at the last (re)load; those files are not in use.',
      registers: [registry],
    }),
    pagerCalls: new Counter({
      name: 'firebreak_pagerduty_calls_total',
      help: 'PagerDuty calls by call (trigger, acknowledge, resolve, oncalls) and outcome (ok, rejected, rate_limited, http_error, network_error).',
      labelNames: ['call', 'outcome'], registers: [registry],
    }),
    postmortems: new Counter({
      name: 'firebreak_postmortems_total', help: 'Postmortem drafts by outcome (drafted, charts_failed, failed).',
      labelNames: ['outcome'], registers: [registry],
    }),
  };
  new Gauge({
    name: 'firebreak_open_incidents', help: 'Open incidents (triggered, acknowledged, mitigated) by severity.',
    labelNames: ['severity'], registers: [registry],
    async collect() {
      this.reset();
      // A scrape during a database outage still answers, without this gauge: the outage itself is
      // what the other series (webhook 503s) should show.
      const counts = await openIncidents().catch(() => undefined);
      if (!counts) return;
      for (const severity of ['sev1', 'sev2', 'sev3', 'sev4']) this.set({ severity }, counts[severity] ?? 0);
    },
  });
  if (pingDatabase) {
    new Gauge({
      name: 'firebreak_database_up', help: 'Whether the database answered a trivial query at this scrape (1) or not (0).',
      registers: [registry],
      async collect() {
        this.set(await pingDatabase().then(() => 1, () => 0));
      },
    });
  }
  return metrics;
}
