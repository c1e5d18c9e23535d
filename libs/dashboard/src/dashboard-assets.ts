import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A built UI file, read once. */
export interface DashboardAsset {
  body: Buffer;
  type: string;
}

/** The UI files the build writes to the package's `assets/` (scripts/build-ui.mjs). */
const FILES: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

// The same relative path from src/ (tests) and dist/ (the published package).
const ASSETS_DIR = fileURLToPath(new URL('../assets/', import.meta.url));

/** Read the built UI; a missing build is reported by the page, not by a crash at boot. */
export function loadDashboardAssets(): Map<string, DashboardAsset> {
  const assets = new Map<string, DashboardAsset>();
  for (const [name, type] of Object.entries(FILES)) {
    try {
      assets.set(name, { body: readFileSync(`${ASSETS_DIR}${name}`), type });
    } catch {
      // Not built: the page says so.
    }
  }
  return assets;
}

/**
 * The page: a shell that loads the bundle, with `<base>` at the dashboard's URL. The empty icon
 * keeps browsers from asking for /favicon.ico, outside the dashboard (a 404 in the console).
 */
export function dashboardPage(path: string, title: string, built: boolean): string {
  const href = escapeHtml(relativeBase(path));
  const name = escapeHtml(title);
  const body = built
    ? '<div id="app"><p>Loading…</p></div><script type="module" src="assets/app.js"></script>'
    : '<p>The dashboard UI is not built: run <code>npm run build</code>.</p>';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<base href="${href}">
<title>${name}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/app.css">
</head>
<body>
${body}
</body>
</html>
`;
}

/**
 * `<base href>` relative to the page's own URL, so the page works under any prefix a reverse
 * proxy strips before the app (ingress rewrite-target, StripPrefix): the browser's URL ends
 * like the app's, `…/celeriac` or `…/celeriac/`, whatever comes before.
 */
function relativeBase(path: string): string {
  if (path.endsWith('/')) return './';
  return `./${path.slice(path.lastIndexOf('/') + 1)}/`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
