#!/usr/bin/env node
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPrometheusMetricsSource } from './actions/prometheus.js';
import { unconfiguredSteps } from './actions/requirements.js';
import { loadConfig, readProcessEnv, type Config } from './config/config.js';
import { readSecret } from './config/secrets.js';
import { migrate } from './db/migrate.js';
import { openDatabase } from './db/open.js';
import { incidentIdByNumber } from './incidents/incidents-sql.js';
import { verifyAllTimelines } from './incidents/timeline.js';
import { incidentView } from './incidents/queries.js';
import { describeError, ErrorCode, FirebreakError } from './lib/errors.js';
import { systemClock } from './lib/clock.js';
import { createLogger, type Logger } from './lib/logger.js';
import { startFirebreak } from './main.js';
import { startLocalApi } from './local-api.js';
import { createApiClient, NoServer } from './client/api-client.js';
import { runDemo } from './client/demo.js';
import { CLIENT_USAGE, clientCommand, postmortemOverApi, type ClientResult } from './client/commands.js';
import { actionItems } from './postmortem/action-items.js';
import { draftPostmortem } from './postmortem/draft.js';
import { fileActionItems, jiraTracker, linearTracker, type ItemTracker } from './tickets/action-items.js';
import { createJiraClient } from './tickets/jira.js';
import { createLinearClient } from './tickets/linear.js';
import { checkCommand, schemaCommand, testCommand, type CommandResult } from './playbooks/commands.js';
import type { Playbook } from './playbooks/validate.js';

const USAGE = `Usage: firebreak <command>

Commands:
  start                                  run the server (the default)
  demo                                   try firebreak on this machine: a fresh embedded database, an
                                         alert storm, a playbook whose last step waits for your
                                         approval in the console (local only; nothing is sent out)
  migrate                                apply database migrations and exit
  verify                                 check every incident's timeline hash chain (after a
                                         restore); exit 1 naming each broken one
  playbooks check [dir]                  check every playbook file; exit 1 on any problem
  playbooks test --alert <file> [dir]    show which playbooks match the alerts in <file> (an
                                         Alertmanager webhook body) and each step rendered; runs nothing
  playbooks schema                       print the JSON Schema of playbook files
  postmortem INC-n [--out <dir>]         print the incident's postmortem draft: drafted again by the
                                         running server, or built now from the database (and
                                         PROMETHEUS_URL) when no server answers; --out (database
                                         only) also writes it and its charts (PNG) into <dir>
  tickets INC-n --from <file.md> (--project <KEY> | --linear-team <id>)
                                         file each row of the "Action items" table of the
                                         incident's postmortem (edited Markdown) as a Jira issue
                                         (needs JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN) or a Linear
                                         issue (needs LINEAR_API_KEY), once
${CLIENT_USAGE}
  help                                   show this help

The incident, timeline, approve/deny, jobs and postmortem commands talk to the running server at
FIREBREAK_URL (default http://127.0.0.1:$PORT) with FIREBREAK_TOKEN (one of FIREBREAK_API_TOKENS);
when no server answers, the reads (incidents, timeline, jobs list, postmortem) read the database.

[dir] defaults to PLAYBOOKS_DIR, or ./playbooks. A running server reloads its playbooks on SIGHUP.

Configuration comes from environment variables (and a .env file in the working directory);
see .env.example.`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'start';
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === 'playbooks') {
    const result = await playbooksCommand(argv.slice(1));
    // Written to the end before exiting: process.exit would cut a long answer to a pipe short.
    await new Promise((resolve) => process.stdout.write(result.out, resolve));
    await new Promise((resolve) => process.stderr.write(result.err, resolve));
    return result.code;
  }
  if (command === 'demo') return demoCommand();
  if (!['start', 'migrate', 'verify', 'tickets', 'postmortem', 'incidents', 'timeline', 'approve', 'deny', 'jobs'].includes(command)) {
    process.stderr.write(`firebreak: unknown command "${command}"\n\n${USAGE}\n`);
    return 2;
  }

  let config: Config;
  try {
    config = loadConfig(readProcessEnv());
  } catch (err) {
    if (err instanceof FirebreakError && err.code === ErrorCode.ConfigInvalid) {
      process.stderr.write(`firebreak: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);

  if (command !== 'start' && command !== 'migrate' && command !== 'verify' && command !== 'tickets' && !(command === 'postmortem' && argv.slice(1).some((a) => a.startsWith('--out')))) {
    const result = await overApi(config, logger, command, argv.slice(1));
    await new Promise((resolve) => process.stdout.write(result.out, resolve));
    await new Promise((resolve) => process.stderr.write(result.err, resolve));
    return result.code;
  }
  if (command === 'postmortem') {
    const result = await postmortemCommand(config, logger, argv.slice(1));
    await new Promise((resolve) => process.stdout.write(result.out, resolve));
    await new Promise((resolve) => process.stderr.write(result.err, resolve));
    return result.code;
  }

  if (command === 'verify') {
    const db = await openDatabase(config.database, logger);
    try {
      const { checked, broken } = await verifyAllTimelines(db);
      const lines = broken.map((b) => `INC-${b.number}: the timeline is broken at event ${b.seq}\n`).join('');
      process.stdout.write(`${lines}${checked} incident timeline(s) checked, ${broken.length} broken\n`);
      return broken.length ? 1 : 0;
    } finally {
      await db.close();
    }
  }
  if (command === 'tickets') {
    const result = await ticketsCommand(config, logger, argv.slice(1));
    await new Promise((resolve) => process.stdout.write(result.out, resolve));
    await new Promise((resolve) => process.stderr.write(result.err, resolve));
    return result.code;
  }

  if (command === 'migrate') {
    const db = await openDatabase(config.database, logger);
    try {
      const applied = await migrate(db);
      logger.info({ applied }, applied.length ? 'migrations applied' : 'database is up to date');
    } finally {
      await db.close();
    }
    return 0;
  }

  // Installed before start: an early SIGHUP must not kill the process (its default action).
  let reload = async () => logger.warn('SIGHUP before start-up finished: the playbooks being loaded are used');
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: reloading playbooks');
    reload().catch((err: unknown) => logger.error({ err: describeError(err) }, 'could not reload playbooks'));
  });
  // Also before start: as PID 1 in a container, firebreak would ignore a signal it has no handler
  // for, so a stop asked for during start-up waits for it, then stops.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const app = await startFirebreak(config, logger);
  reload = () => app.reloadPlaybooks();
  const signal = await signalled;
  logger.info({ signal }, 'shutting down');
  // A second signal while draining means "now".
  process.once(signal, () => process.exit(1));
  // A stop that cannot finish (the database gone while interrupted jobs are being recorded) must not
  // outlast the orchestrator's patience: past the grace and a margin, exit. Jobs whose outcome was
  // not recorded keep their lease and are taken over by another replica once it runs out.
  const bound = config.jobs.shutdownGraceMs + SHUTDOWN_MARGIN_MS;
  setTimeout(() => {
    logger.error({ ms: bound }, 'shutdown did not finish within SHUTDOWN_GRACE_SECONDS and its margin: exiting; unfinished jobs are taken over once their lease runs out');
    process.exit(1);
  }, bound).unref();
  await app.close().catch((err: unknown) => logger.error({ err: (err as Error).message }, 'error while shutting down'));
  return 0;
}

// After SHUTDOWN_GRACE_SECONDS, the time to record interrupted jobs and close the database.
const SHUTDOWN_MARGIN_MS = 10_000;
// The demo's files, shipped with the package.
const DEMO = new URL('../demo/', import.meta.url);

/**
 * `firebreak demo`: the server in demo mode on this host (a fresh embedded database; Slack,
 * PagerDuty, tokens and any DATABASE_URL left out), then the storm, the approval in the console,
 * the resolution and the postmortem.
 */
async function demoCommand(): Promise<number> {
  const env = readProcessEnv();
  const port = env.PORT && env.PORT !== '0' ? env.PORT : '3000';
  const host = `127.0.0.1:${port}`;
  const dir = await mkdtemp(join(tmpdir(), 'firebreak-demo-'));
  await mkdir(join(dir, 'playbooks'));
  const playbook = await readFile(new URL('playbooks/demo.yml', DEMO), 'utf8');
  await writeFile(join(dir, 'playbooks', 'demo.yml'), playbook.replaceAll('127.0.0.1:3000', host));
  const config = loadConfig({
    PORT: port, HOST: '127.0.0.1', FIREBREAK_DATA_DIR: join(dir, 'data'), PLAYBOOKS_DIR: join(dir, 'playbooks'),
    HTTP_ACTION_ALLOWED_HOSTS: host, LOG_LEVEL: env.LOG_LEVEL || 'warn', PATH: env.PATH,
  });
  const logger = createLogger(config.logLevel);
  const say = (line: string) => process.stderr.write(`firebreak demo: ${line}\n`);
  const app = await startFirebreak(config, logger, { demo: true });
  say(`the console is at ${app.url}/ (demo mode: this host only, anyone here may act; Ctrl-C stops it)`);
  const stop = new AbortController();
  const signalled = new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  }).then(() => stop.abort());
  try {
    await runDemo({ url: app.url, storm: await readFile(new URL('storm.json', DEMO), 'utf8'), call: createApiClient(app.url, undefined), say, signal: stop.signal });
    await signalled;
  } finally {
    await app.close();
  }
  return 0;
}

async function playbooksCommand(args: string[]): Promise<CommandResult> {
  const [sub, ...rest] = args;
  let alertFile: string | undefined;
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] === '--alert') alertFile = rest[++i];
    else if (rest[i]!.startsWith('--alert=')) alertFile = rest[i]!.slice('--alert='.length);
    else positional.push(rest[i]!);
  }
  const dir = positional[0] ?? (readProcessEnv().PLAYBOOKS_DIR || './playbooks');
  if (sub === 'check' && positional.length <= 1 && !alertFile) return checkCommand(dir, (variable) => readSecret(variable) !== undefined, unconfiguredHere);
  if (sub === 'test' && alertFile && positional.length <= 1) return testCommand(dir, alertFile);
  if (sub === 'schema' && !rest.length) return schemaCommand();
  return { out: '', err: `firebreak: usage: playbooks check [dir] | playbooks test --alert <file> [dir] | playbooks schema\n`, code: 2 };
}

/** The commands that only read: without a server they are answered from the database. */
const READS = new Set(['incidents list', 'incidents show', 'timeline', 'jobs list']);

/**
 * A command over the running server's API. When none answers, a read is answered by the API's own
 * read routes over the database in this process (which, embedded, works only while no server holds
 * it); a change is refused, for only a server runs what it starts.
 */
async function overApi(config: Config, logger: Logger, command: string, args: string[]): Promise<ClientResult> {
  try {
    if (command === 'postmortem') {
      const ref = /^inc-(\d{1,9})$/i.exec(args[0] ?? '');
      if (!ref || args.length !== 1) return { out: '', err: 'firebreak: usage: postmortem INC-n [--out <dir>]\n', code: 2 };
      return await postmortemOverApi(createApiClient(config.client.url, config.client.token), `INC-${ref[1]}`);
    }
    const result = await clientCommand(createApiClient(config.client.url, config.client.token), command, args);
    return result ?? { out: '', err: `firebreak: unknown command "${[command, ...args].join(' ')}"\n\n${USAGE}\n`, code: 2 };
  } catch (err) {
    if (!(err instanceof NoServer)) throw err;
    if (command === 'postmortem') return postmortemCommand(config, logger, args);
    const name = command === 'timeline' ? command : `${command} ${args[0] ?? ''}`;
    if (!READS.has(name)) return { out: '', err: `firebreak: ${err.message}: ${command} needs a running server (FIREBREAK_URL)\n`, code: 1 };
    const local = await startLocalApi(config, logger);
    try {
      const result = (await clientCommand(createApiClient(local.url, config.client.token), command, args))!;
      return { ...result, err: `firebreak: no server answers at ${config.client.url}: read from the database\n${result.err}` };
    } finally {
      await local.close();
    }
  }
}

/** `playbooks check`'s warnings about actions this environment's configuration cannot serve. */
function unconfiguredHere(playbooks: readonly Playbook[]): string[] {
  let config: Config;
  try {
    config = loadConfig(readProcessEnv());
  } catch (err) {
    if (!(err instanceof FirebreakError)) throw err;
    return [`the configuration here is invalid, so which actions it serves was not checked: ${err.message.split('\n').slice(1).join(' ').trim()}`];
  }
  const p = config.playbooks;
  return unconfiguredSteps(playbooks, {
    prometheusUrl: p.prometheusUrl, alertmanagerUrl: p.alertmanagerUrl, execAllowlist: p.execAllowlist, httpAllowedHosts: p.httpAllowedHosts,
    slack: config.slack !== undefined, pagerduty: (config.pagerduty?.services.size ?? 0) > 0, kubernetes: config.kubernetes !== undefined,
    jira: config.jira !== undefined, linear: config.linear !== undefined, linearTeam: config.linear?.teamId !== undefined,
  });
}

/** `firebreak tickets INC-n --from <file.md> (--project <KEY> | --linear-team <id>)`: the postmortem's action items as issues, once each. */
async function ticketsCommand(config: Config, logger: Logger, args: string[]): Promise<CommandResult> {
  const usage = { out: '', err: 'firebreak: usage: tickets INC-n --from <postmortem.md> (--project <KEY> | --linear-team <id>)\n', code: 2 };
  const ref = /^inc-(\d{1,9})$/i.exec(args[0] ?? '');
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i > 0 ? args[i + 1] : undefined;
  };
  const [from, project, team] = [option('--from'), option('--project'), option('--linear-team')];
  if (!ref || !from || (project === undefined) === (team === undefined) || args.length !== 5) return usage;
  let tracker: ItemTracker;
  if (project !== undefined) {
    if (!/^[A-Z][A-Z0-9_]{0,49}$/.test(project)) return { out: '', err: `firebreak: --project must be a Jira project key like OPS, got ${project}\n`, code: 2 };
    if (!config.jira) return { out: '', err: 'firebreak: Jira is not configured (JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN): nothing was filed\n', code: 1 };
    tracker = jiraTracker(createJiraClient(config.jira), project);
  } else {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(team!)) {
      return { out: '', err: `firebreak: --linear-team must be a Linear team id (a UUID), got ${team}\n`, code: 2 };
    }
    if (!config.linear) return { out: '', err: 'firebreak: Linear is not configured (LINEAR_API_KEY): nothing was filed\n', code: 1 };
    tracker = linearTracker(createLinearClient(config.linear), team!);
  }
  let items;
  try {
    items = actionItems(await readFile(from, 'utf8'));
  } catch (err) {
    return { out: '', err: `firebreak: cannot read ${from}: ${(err as Error).message}\n`, code: 2 };
  }
  if (!items.length) return { out: '', err: `firebreak: ${from} has no action items (rows of the table under "## Action items"): nothing was filed\n`, code: 1 };
  const db = await openDatabase(config.database, logger);
  try {
    await migrate(db);
    const number = Number(ref[1]);
    const id = await incidentIdByNumber(db, number);
    if (id === null) return { out: '', err: `firebreak: there is no incident INC-${number}\n`, code: 1 };
    const { title } = (await incidentView(db, id))!;
    const filed = await fileActionItems(tracker, { id, ref: `INC-${number}`, title }, items);
    return { out: filed.map((f) => `${f.ticket.key} ${f.created ? 'filed' : 'already filed'}: ${f.action} (${f.ticket.url})\n`).join(''), err: '', code: 0 };
  } finally {
    await db.close();
  }
}

async function postmortemCommand(config: Config, logger: Logger, args: string[]): Promise<CommandResult> {
  const ref = /^inc-(\d{1,9})$/i.exec(args[0] ?? '');
  const out = args[1] === '--out' ? args[2] : args[1]?.startsWith('--out=') ? args[1].slice('--out='.length) : undefined;
  if (!ref || args.length !== (out === undefined ? 1 : args[1] === '--out' ? 3 : 2) || out === '') {
    return { out: '', err: 'firebreak: usage: postmortem INC-n [--out <dir>]\n', code: 2 };
  }
  const db = await openDatabase(config.database, logger);
  try {
    await migrate(db);
    const id = await incidentIdByNumber(db, Number(ref[1]));
    if (id === null) return { out: '', err: `firebreak: there is no incident INC-${ref[1]}\n`, code: 1 };
    const p = config.playbooks;
    const source = p.prometheusUrl ? createPrometheusMetricsSource({ fetch, baseUrl: p.prometheusUrl, clock: systemClock }) : undefined;
    const draft = (await draftPostmortem(db, id, source, systemClock.now()))!;
    if (out) {
      await mkdir(out, { recursive: true });
      await writeFile(join(out, `INC-${draft.number}-postmortem.md`), draft.markdown);
      for (const c of draft.charts) await writeFile(join(out, c.name), c.png);
    }
    const written = out ? `firebreak: wrote INC-${draft.number}-postmortem.md and ${draft.charts.length} chart(s) to ${out}\n` : '';
    return { out: draft.markdown, err: written, code: 0 };
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // A clean one-line reason for operators: the cause chain, no stack trace.
    process.stderr.write(`firebreak: ${describeError(err)}\n`);
    process.exit(1);
  },
);
