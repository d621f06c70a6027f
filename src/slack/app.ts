import { App, HTTPReceiver } from '@slack/bolt';
import type { SlackConfig } from '../config/config.js';
import type { Handler } from '../http/server.js';
import { describeError } from '../lib/errors.js';
import { runButton } from './actions.js';
import { runCommand, type CommandDeps } from './commands.js';
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

/** The Bolt app, wired to firebreak's command and button handling. */
export function createSlackApp(slack: SlackConfig, deps: CommandDeps): SlackApp {
  const logger = slackLogger(deps.logger);
  // A fixed authorization: Bolt would otherwise call auth.test (at start or on the first request),
  // making start-up and every click depend on Slack being reachable.
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

  app.command('/incident', async ({ command, ack }) => {
    const reply = await runCommand(deps, {
      text: command.text, userId: command.user_id, channelId: command.channel_id, triggerId: command.trigger_id,
    });
    await ack(reply);
  });

  app.action(/^incident_/, async ({ action, body, ack, respond }) => {
    const button = action as { action_id: string; value?: string; action_ts?: string };
    const answer = await runButton(deps, {
      actionId: button.action_id, value: button.value ?? '', userId: body.user.id,
      triggerId: (body as { trigger_id?: string }).trigger_id, actionTs: button.action_ts,
    });
    await ack();
    const answered = (err: unknown) => deps.logger.warn({ err: describeError(err) }, 'could not answer a button click');
    if (answer.replace) await respond({ replace_original: true, text: answer.replace }).catch(answered);
    if (answer.ephemeral) await respond({ response_type: 'ephemeral', replace_original: false, text: answer.ephemeral }).catch(answered);
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
