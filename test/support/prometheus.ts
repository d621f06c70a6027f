import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './process.js';

const PROMETHEUS = '/usr/bin/prometheus';

/** Why a test that needs a real Prometheus is skipped, or false when Debian's package is installed. */
export const NEEDS_PROMETHEUS = existsSync(PROMETHEUS) ? false : `skipped: ${PROMETHEUS} is not installed (apt-get install prometheus; .ci/run does)`;

/** A real Prometheus, its data in `dir`, scraping the target at 127.0.0.1:`targetPort` every second as job `job`. */
export async function startPrometheus(dir: string, targetPort: number, job: string): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  await writeFile(join(dir, 'prometheus.yml'), `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: ${job}
    static_configs: [{ targets: ['127.0.0.1:${targetPort}'] }]
`);
  const prometheus = spawn(PROMETHEUS, [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`,
  ], { stdio: 'ignore' });
  const exited = new Promise((resolve) => prometheus.once('exit', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      prometheus.kill('SIGTERM');
      await exited;
    },
  };
}
