import type { ActionName } from '../playbooks/action-params.js';
import type { Clock } from '../lib/clock.js';
import type { Action } from '../runner/action.js';
import type { ChatPort } from '../runner/ports.js';
import { createSilenceAction } from './alertmanager-silence.js';
import { createExecAction } from './exec.js';
import { createHttpAction } from './http.js';
import { createJiraAction, type JiraPort } from './jira.js';
import { createLinearAction, type LinearPort } from './linear.js';
import { createKubernetesActions, type KubernetesActionDeps } from './kubernetes.js';
import { createPagerDutyTriggerAction, type PageFn } from './pagerduty-trigger.js';
import { createPrometheusQueryAction, createPrometheusRangeAction } from './prometheus.js';
import { createSlackMessageAction } from './slack-message.js';
import { createWaitAction } from './wait.js';

/** What the actions are built from. */
export interface ActionDeps {
  fetch: typeof fetch;
  clock: Clock;
  execAllowlist: readonly string[];
  execPath: string;
  /** Variables exec steps get besides PATH and LANG (EXEC_ENV). */
  execEnv: Readonly<Record<string, string>>;
  httpAllowedHosts: readonly string[];
  prometheusUrl: string | undefined;
  alertmanagerUrl: string | undefined;
  chat: ChatPort | undefined;
  /** Undefined when PagerDuty is off. */
  page: PageFn | undefined;
  /** The Kubernetes API and what steps may touch there; port undefined when it is not configured. */
  kubernetes: KubernetesActionDeps;
  /** Undefined when Jira is not configured. */
  jira: JiraPort | undefined;
  /** Port undefined when Linear is not configured; teamId from LINEAR_TEAM_ID. */
  linear: { port: LinearPort | undefined; teamId: string | undefined };
  /** Bytes an action keeps of a response or of each output stream. */
  captureBytes: number;
}

/** Every action, built from injected dependencies. */
export function createActions(deps: ActionDeps): Record<ActionName, Action> {
  return {
    http: createHttpAction({ fetch: deps.fetch, allowedHosts: deps.httpAllowedHosts, maxBytes: deps.captureBytes }),
    exec: createExecAction({ allowlist: deps.execAllowlist, path: deps.execPath, env: deps.execEnv, maxBytes: deps.captureBytes }),
    'prometheus.query': createPrometheusQueryAction({ fetch: deps.fetch, baseUrl: deps.prometheusUrl, clock: deps.clock, maxBytes: deps.captureBytes }),
    'prometheus.query_range': createPrometheusRangeAction({ fetch: deps.fetch, baseUrl: deps.prometheusUrl, clock: deps.clock, maxBytes: deps.captureBytes }),
    'alertmanager.silence': createSilenceAction({ fetch: deps.fetch, baseUrl: deps.alertmanagerUrl, clock: deps.clock }),
    'slack.message': createSlackMessageAction({ chat: deps.chat }),
    'pagerduty.trigger': createPagerDutyTriggerAction({ page: deps.page }),
    wait: createWaitAction(),
    ...createKubernetesActions(deps.kubernetes),
    'jira.create_issue': createJiraAction({ port: deps.jira }),
    'linear.create_issue': createLinearAction(deps.linear),
  };
}
