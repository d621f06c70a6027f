import { App, HTTPReceiver } from '@slack/bolt';
import type { SlackConfig } from '../config/config.js';
import type { Handler } from '../http/server.js';
import { describeError } from '../lib/errors.js';
import { runButton } from './actions.js';
import { runCommand, type CommandDeps } from './commands.js';
import { originGate } from './gate.js';
import type { SlackIdentity } from './origin.js';
import { buttonClick, commandRequest, sendButtonAnswer } from './requests.js';
import { slackLogger } from './slack-logger.js';

/** Slack's way in: `/incident` and button clicks, over HTTP or Socket Mode. */
export interface SlackApp {
  /** HTTP mode: the handler of POST /slack/events. Undefined in Socket Mode. */
  events: Handler | undefined;
  mode: 'http' | 'socket';
  /** Socket Mode: connects (in the background, reconnecting); HTTP mode: nothing to do. */
  start(): void;
  stop(): Promise<void>;
}

/**
 * The Bolt app, wired to firebreak's command and button handling. `identity` is firebreak's own
 * Slack identity once learned: until then every request is refused by the origin check.
 */
export function createSlackApp(slack: SlackConfig, deps: CommandDeps, identity: () => SlackIdentity | undefined): SlackApp {
  const logger = slackLogger(deps.logger);
  // A fixed authorization: Bolt would otherwise call auth.test (at start or on the first request),
  // making start-up and every click depend on Slack being reachable. firebreak learns its identity
  // in the background instead (identity.ts) and checks every request against it (gate.ts).
  const authorize = async () => ({ botToken: slack.botToken });
  const clientOptions = { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } };
  const receiver = slack.appToken ? undefined : new HTTPReceiver({
    signingSecret: slack.signingSecret!,
    endpoints: '/slack/events',
    // The answer waits for the database change, so an acknowledged click is a recorded click.
    processBeforeResponse: true,
    logger,
  });
  const app = receiver
    ? new App({ receiver, authorize, clientOptions, logger })
    : new App({ socketMode: true, appToken: slack.appToken, authorize, clientOptions, logger });

  app.use(originGate(deps, slack, identity));
  app.command('/incident', async ({ command, ack }) => {
    await ack(await runCommand(deps, commandRequest(command)));
  });
  app.action(/^incident_/, async ({ action, body, ack, respond }) => {
    const answer = await runButton(deps, buttonClick(action, body as unknown as Record<string, unknown>));
    await ack();
    await sendButtonAnswer(respond, answer, deps.logger);
  });
  // Link buttons (runbook, Alertmanager) open a URL; Slack still tells the app, which must answer.
  app.action(/^link_/, async ({ ack }) => ack());
  app.error(async (err) => {
    deps.logger.error({ err: describeError(err) }, 'Slack request failed');
  });

  return {
    mode: receiver ? 'http' : 'socket',
    events: receiver ? async (req, res) => receiver.requestListener(req, res) : undefined,
    start() {
      if (receiver) return;
      app.start().catch((err: unknown) => deps.logger.error({ err: describeError(err) }, 'Slack Socket Mode could not connect'));
    },
    async stop() {
      if (!receiver) await app.stop().catch(() => {});
    },
  };
}
