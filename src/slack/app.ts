import { App, HTTPReceiver, SocketModeReceiver, type ViewResponseAction } from '@slack/bolt';
import type { SlackConfig } from '../config/config.js';
import type { Handler } from '../http/server.js';
import { describeError } from '../lib/errors.js';
import { runButton } from './actions.js';
import { DECLARE_VIEW } from './blocks/declare-modal.js';
import { declareFormWanted } from './command-parse.js';
import type { CommandDeps } from '../runner/command-deps.js';
import { runCommand } from './commands.js';
import { homeJobs } from './home-jobs.js';
import { openDeclareModal, submitDeclareModal, type OpenView } from './declare-modal.js';
import { originGate } from './gate.js';
import type { SlackIdentity } from './origin.js';
import { buttonClick, commandRequest, sendButtonAnswer } from './requests.js';
import { slackLogger } from './slack-logger.js';
import { keepConnected, type ReconnectPace } from './socket-connection.js';
import { watchSocket, type SocketState } from './socket-state.js';

/** Slack's way in: `/incident` and button clicks, over HTTP or Socket Mode. */
export interface SlackApp {
  /** HTTP mode: the handler of POST /slack/events. Undefined in Socket Mode. */
  events: Handler | undefined;
  mode: 'http' | 'socket';
  /** Socket Mode: where the connection stands (also the gauge firebreak_slack_socket_connected). Undefined over HTTP. */
  socketState: (() => SocketState) | undefined;
  /** Socket Mode: connects (in the background, reconnecting); HTTP mode: nothing to do. */
  start(): void;
  stop(): Promise<void>;
}

/** Socket Mode's pace: how long a pong may take; the wait before connecting again. */
export interface SocketOptions {
  clientPingTimeoutMs?: number;
  reconnect?: ReconnectPace;
}

// After a disconnection: 1 s, then 2 s, 4 s… up to a minute while connecting keeps failing.
const RECONNECT: ReconnectPace = { firstDelayMs: 1_000, maxDelayMs: 60_000 };

/**
 * The Bolt app, wired to firebreak's command and button handling. `identity` is firebreak's own
 * Slack identity once learned: until then every request is refused by the origin check.
 */
export function createSlackApp(slack: SlackConfig, deps: CommandDeps, identity: () => SlackIdentity | undefined, socket: SocketOptions = {}): SlackApp {
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
  // Socket Mode: the receiver is built here so that its client (which opens the connection with
  // apps.connections.open, at the same Web API base URL) can be watched.
  const socketReceiver = slack.appToken ? new SocketModeReceiver({
    appToken: slack.appToken, logger, clientPingTimeout: socket.clientPingTimeoutMs, autoReconnectEnabled: false,
    installerOptions: { clientOptions: { slackApiUrl: slack.apiUrl } },
  }) : undefined;
  const socketState = socketReceiver && watchSocket(socketReceiver.client, deps.metrics.registry, deps.logger);
  const app = receiver
    ? new App({ receiver, authorize, clientOptions, logger })
    : new App({ socketMode: true, receiver: socketReceiver, authorize, clientOptions, logger });

  const refreshHome = (userId: string) => deps.queue.enqueue(deps.db, ...homeJobs([userId]))
    .catch((err: unknown) => deps.logger.warn({ err: describeError(err) }, 'could not queue a Home tab refresh'));

  app.use(originGate(deps, slack, identity));
  app.command('/incident', async ({ command, ack, client }) => {
    const req = commandRequest(command);
    const form = declareFormWanted(req.text);
    if (form) {
      const openView: OpenView = (args) => client.apiCall('views.open', args);
      await ack(await openDeclareModal(deps, req, { ...form, ownChannel: slack.createChannels }, openView));
      return;
    }
    await ack(await runCommand(deps, req));
  });
  app.view(DECLARE_VIEW, async ({ ack, body }) => {
    // Bolt types the answer as its own View union; firebreak's builders return plain Block Kit JSON.
    await ack((await submitDeclareModal(deps, body)) as unknown as ViewResponseAction);
  });
  app.action(/^incident_/, async ({ action, body, ack, respond }) => {
    const click = buttonClick(action, body as unknown as Record<string, unknown>);
    const answer = await runButton(deps, click);
    await ack();
    // A click in the Home tab has no message to answer in: the Home itself shows what changed.
    if (click.inHome) await refreshHome(click.userId);
    else await sendButtonAnswer(respond, answer, deps.logger);
  });
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab === 'home') await refreshHome(event.user);
  });
  // Link buttons (runbook, Alertmanager) open a URL; Slack still tells the app, which must answer.
  app.action(/^link_/, async ({ ack }) => ack());
  app.error(async (err) => {
    deps.logger.error({ err: describeError(err) }, 'Slack request failed');
  });

  const connection = socketReceiver && keepConnected(socketReceiver.client, () => app.start(), deps.logger, socket.reconnect ?? RECONNECT);

  return {
    mode: receiver ? 'http' : 'socket',
    socketState,
    events: receiver ? async (req, res) => receiver.requestListener(req, res) : undefined,
    start() {
      connection?.start();
    },
    async stop() {
      connection?.stop();
      if (!receiver) await app.stop().catch(() => {});
    },
  };
}
