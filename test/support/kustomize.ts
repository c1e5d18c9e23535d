import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

/** A rendered Kubernetes object, as plain data. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

function which(command: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/**
 * The path of `kubectl` (with its built-in kustomize), installing Debian's kubernetes-client
 * when it is missing and the tests run as root. `reason` says why there is none.
 */
export function findKubectl(): { path?: string; reason?: string } {
  const found = which('kubectl');
  if (found) return { path: found };
  if (process.getuid?.() !== 0) {
    return { reason: 'kubectl is not installed and the tests do not run as root to install it' };
  }
  try {
    execFileSync('apt-get', ['install', '-y', '-qq', 'kubernetes-client'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: 'ignore',
      timeout: 180_000,
    });
  } catch (error) {
    return { reason: `apt-get install kubernetes-client failed: ${(error as Error).message}` };
  }
  const installed = which('kubectl');
  return installed ? { path: installed } : { reason: 'kubernetes-client installed no kubectl' };
}

/** `kubectl kustomize <dir>`, parsed into objects. */
export async function kustomize(kubectl: string, dir: string): Promise<K8sObject[]> {
  const { stdout } = await run(kubectl, ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${dir}: ${doc.errors[0]!.message}`);
    return doc.toJS() as K8sObject;
  });
}
