import type { ActionName } from '../playbooks/action-params.js';
import { formatProblem, type Playbook } from '../playbooks/validate.js';
import { hostAllowed } from './http.js';

/** What the actions can reach in this configuration: what `playbooks check` compares steps against. */
export interface ActionSetup {
  prometheusUrl: string | undefined;
  alertmanagerUrl: string | undefined;
  execAllowlist: readonly string[];
  httpAllowedHosts: readonly string[];
  slack: boolean;
  pagerduty: boolean;
  /** KUBERNETES_NAMESPACES is set. */
  kubernetes: boolean;
  /** JIRA_URL, JIRA_EMAIL and JIRA_API_TOKEN are set. */
  jira: boolean;
  /** LINEAR_API_KEY is set. */
  linear: boolean;
  /** LINEAR_TEAM_ID is set. */
  linearTeam: boolean;
}

const listed = (list: readonly string[]) => (list.length ? ` (${list.join(', ')})` : ', which is empty');

/**
 * Why a step's action cannot work in this configuration, or undefined. Judged from what the
 * playbook writes literally: a program or URL host that comes from a template is judged when it runs.
 */
function missing(action: ActionName, params: Record<string, unknown>, setup: ActionSetup): string | undefined {
  switch (action) {
    case 'prometheus.query':
    case 'prometheus.query_range':
      return setup.prometheusUrl ? undefined : `${action} needs PROMETHEUS_URL, which is not set`;
    case 'alertmanager.silence':
      return setup.alertmanagerUrl ? undefined : `${action} needs ALERTMANAGER_URL, which is not set`;
    case 'exec': {
      const program = Array.isArray(params.argv) ? params.argv[0] : undefined;
      if (typeof program !== 'string' || program.includes('{{') || setup.execAllowlist.includes(program)) return undefined;
      return `exec runs "${program}", which is not in EXEC_ALLOWLIST${listed(setup.execAllowlist)}`;
    }
    case 'http': {
      const written = typeof params.url === 'string' ? params.url.split('{{')[0]! : '';
      let url: URL;
      try {
        url = new URL(written);
      } catch {
        return undefined; // the host comes from a template (or the URL is refused when rendered)
      }
      if (!/^[a-z][a-z0-9+.-]*:\/\/[^/?#]+[/?#]/i.test(written) && written !== params.url) return undefined;
      return hostAllowed(url, setup.httpAllowedHosts) ? undefined : `http calls ${url.host}, which is not in HTTP_ACTION_ALLOWED_HOSTS${listed(setup.httpAllowedHosts)}`;
    }
    case 'slack.message':
      return setup.slack ? undefined : `${action} needs Slack (SLACK_BOT_TOKEN), which is not set`;
    case 'pagerduty.trigger':
      return setup.pagerduty ? undefined : `${action} needs PagerDuty (PAGERDUTY_ROUTING_KEY or PAGERDUTY_SERVICES), which is not set`;
    case 'wait':
      return undefined;
    case 'kubernetes.logs':
    case 'kubernetes.events':
    case 'kubernetes.rollout_restart':
    case 'kubernetes.scale':
      return setup.kubernetes ? undefined : `${action} needs Kubernetes (KUBERNETES_NAMESPACES), which is not set`;
    case 'jira.create_issue':
      return setup.jira ? undefined : `${action} needs Jira (JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN), which is not set`;
    case 'linear.create_issue':
      if (!setup.linear) return `${action} needs Linear (LINEAR_API_KEY), which is not set`;
      return params.team_id !== undefined || setup.linearTeam ? undefined : `${action} names no team_id and LINEAR_TEAM_ID is not set`;
  }
}

/** Each step whose action's configuration is missing here, as `file:line: steps[i].action: reason`. */
export function unconfiguredSteps(playbooks: readonly Playbook[], setup: ActionSetup): string[] {
  return playbooks.flatMap((p) => p.definition.steps.flatMap((step, i) => {
    const reason = missing(step.action as ActionName, step.with as Record<string, unknown>, setup);
    return reason ? [formatProblem({ file: p.file, path: `steps[${i}].action`, line: p.actionLines[i], reason: `${reason} here: the step will fail until it is` })] : [];
  }));
}
