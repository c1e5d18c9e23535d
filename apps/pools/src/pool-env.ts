/**
 * The fixture's settings, from the environment: the parent worker and its isolates read the
 * same variables (threads and child processes inherit the environment).
 */
export function poolEnv(env: NodeJS.ProcessEnv = process.env) {
  return {
    broker: env.POOLS_BROKER ?? 'redis://127.0.0.1:6379/0',
    backend: env.POOLS_BACKEND ?? env.POOLS_BROKER ?? 'redis://127.0.0.1:6379/0',
    queue: env.POOLS_QUEUE ?? 'pools',
    schema: env.POOLS_PG_SCHEMA,
    httpPort: env.POOLS_HTTP_PORT,
  };
}
