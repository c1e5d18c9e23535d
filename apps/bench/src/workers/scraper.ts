import { Agent, get } from 'node:http';
import { createInterface } from 'node:readline';

/**
 * The scrape bench's Prometheus: a process of its own (as a real scraper is), so the worker's
 * thread serves the scrape alone. For each line `GET <url>` on stdin it fetches the URL over
 * one kept-alive connection, reads the whole body, and answers `<ms> <bytes>` on stdout.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function scrape(url: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    get(url, { agent }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolve({ ms: performance.now() - started, bytes }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const url = line.replace(/^GET /, '');
  scrape(url).then(
    ({ ms, bytes }) => process.stdout.write(`${ms} ${bytes}\n`),
    (error: unknown) => process.stdout.write(`error ${String(error)}\n`),
  );
});
lines.on('close', () => agent.destroy());
