import { execSync } from 'node:child_process';
import { connect } from 'node:net';

/**
 * Real services the e2e suites need, on loopback only. A service that is down is started when
 * it is installed; a missing one is installed when running as root; otherwise the suite fails
 * with a message saying what to install.
 */
export interface ServiceSpec {
  name: string;
  port: number;
  /** Debian packages that provide it. */
  packages: string[];
  /** Command that starts it in the background. */
  start: string;
  binary: string;
}

export const SERVICES = {
  redis: {
    name: 'Redis',
    port: 6379,
    packages: ['redis-server'],
    binary: 'redis-server',
    start:
      'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no',
  },
  rabbitmq: {
    name: 'RabbitMQ',
    port: 5672,
    packages: ['rabbitmq-server'],
    binary: 'rabbitmq-server',
    start: 'rabbitmq-server -detached',
  },
  postgres: {
    name: 'PostgreSQL',
    port: 5432,
    packages: ['postgresql'],
    binary: 'pg_ctlcluster',
    start: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  },
  mariadb: {
    name: 'MariaDB',
    port: 3306,
    packages: ['mariadb-server'],
    binary: 'mariadbd',
    start:
      'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql',
  },
} satisfies Record<string, ServiceSpec>;

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function installed(binary: string): boolean {
  try {
    execSync(`command -v ${binary}`, { stdio: 'ignore', shell: '/bin/bash' });
    return true;
  } catch {
    return false;
  }
}

const isRoot = (): boolean => process.getuid?.() === 0;

export async function ensureService(spec: ServiceSpec, waitMs = 90_000): Promise<void> {
  if (await portOpen(spec.port)) return;
  if (!installed(spec.binary)) {
    if (!isRoot()) {
      throw new Error(
        `${spec.name} is not running on 127.0.0.1:${spec.port} and is not installed. ` +
          `Install it with: sudo apt-get install -y ${spec.packages.join(' ')}`,
      );
    }
    execSync(`apt-get install -y ${spec.packages.join(' ')}`, { stdio: 'inherit' });
  }
  console.log(`[e2e] starting ${spec.name}: ${spec.start}`);
  execSync(spec.start, { stdio: 'inherit', shell: '/bin/bash' });
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (await portOpen(spec.port)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${spec.name} did not open port ${spec.port} within ${waitMs / 1000} s.`);
}

/**
 * Debian packages of the Python Celery the interop suites run with `/usr/bin/python3`, and of
 * django-celery-beat (with Django, psycopg2 and MySQLdb) for the beat's Django tables.
 */
const PYTHON_CELERY = [
  'python3-celery',
  'python3-redis',
  'python3-amqp',
  'python3-django-celery-beat',
  'python3-psycopg2',
  'python3-mysqldb',
];
const PYTHON_IMPORTS = 'celery, redis, amqp, django_celery_beat, psycopg2, MySQLdb';

function pythonCeleryImports(): boolean {
  try {
    execSync(`/usr/bin/python3 -c 'import ${PYTHON_IMPORTS}'`, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Python Celery 5 for the interop suites: installed with apt-get when missing and root. */
export function ensurePythonCelery(): void {
  if (pythonCeleryImports()) return;
  if (!isRoot()) {
    throw new Error(
      `Python Celery is not installed (/usr/bin/python3 cannot import ${PYTHON_IMPORTS}). ` +
        `Install it with: sudo apt-get install -y ${PYTHON_CELERY.join(' ')}`,
    );
  }
  console.log(`[e2e] installing ${PYTHON_CELERY.join(' ')}`);
  execSync(`apt-get install -y -qq ${PYTHON_CELERY.join(' ')}`, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
