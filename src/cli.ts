#!/usr/bin/env node
import { loadConfig, readProcessEnv, type Config } from './config/config.js';
import { migrate } from './db/migrate.js';
import { openDatabase } from './db/open.js';
import { describeError, ErrorCode, FirebreakError } from './lib/errors.js';
import { createLogger } from './lib/logger.js';
import { startFirebreak } from './main.js';

const USAGE = `Usage: firebreak <command>

Commands:
  start      run the server (the default)
  migrate    apply database migrations and exit
  help       show this help

Configuration comes from environment variables (and a .env file in the working directory);
see .env.example.`;

async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'start';
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command !== 'start' && command !== 'migrate') {
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

  const app = await startFirebreak(config, logger);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      logger.info({ signal }, 'shutting down');
      // A second signal while draining means "now".
      process.once(signal, () => process.exit(1));
      app.close().then(resolve, (err: unknown) => {
        logger.error({ err: (err as Error).message }, 'error while shutting down');
        resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    // A clean one-line reason for operators: the cause chain, no stack trace.
    process.stderr.write(`firebreak: ${describeError(err)}\n`);
    process.exit(1);
  },
);
