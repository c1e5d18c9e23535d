import { ensurePythonCelery, ensureService, SERVICES } from './services.js';

/** Vitest global setup for the e2e project: make sure the real services and Python Celery are there. */
export default async function setup(): Promise<void> {
  for (const spec of Object.values(SERVICES)) await ensureService(spec);
  ensurePythonCelery();
}
