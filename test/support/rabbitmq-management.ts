import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The management API of the shared e2e RabbitMQ, as guest. */
export const RABBITMQ_MANAGEMENT_URL = 'http://guest:guest@127.0.0.1:15672';

async function answers(): Promise<boolean> {
  try {
    const response = await fetch('http://127.0.0.1:15672/api/overview', {
      headers: { authorization: `Basic ${Buffer.from('guest:guest').toString('base64')}` },
      signal: AbortSignal.timeout(2000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/**
 * Enable the `rabbitmq_management` plugin on the shared RabbitMQ when it is off (it is
 * optional for users; the metrics spec that reads unacked messages needs it), and wait until
 * its API answers.
 */
export async function ensureRabbitManagement(): Promise<void> {
  if (await answers()) return;
  await run('rabbitmq-plugins', ['enable', 'rabbitmq_management'], { timeout: 120_000 });
  const end = Date.now() + 60_000;
  while (!(await answers())) {
    if (Date.now() > end) throw new Error('the RabbitMQ management API did not come up in 60 s');
    await new Promise((r) => setTimeout(r, 250));
  }
}
