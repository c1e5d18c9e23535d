// Checks every relative link of README.md, docs/*.md and the packages' READMEs: the file exists
// and, for `file.md#anchor`, the page has that heading (GitHub's slugs). `npm run lint` runs it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  ...readdirSync(join(root, 'libs'))
    .map((d) => `libs/${d}/README.md`)
    .filter((f) => existsSync(join(root, f))),
];

/** The page's text outside fenced code blocks. */
function prose(text) {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** GitHub's anchors of a page's headings (and explicit `<a id>` / `<a name>` anchors). */
function anchorsOf(file) {
  const text = prose(readFileSync(file, 'utf8'));
  const seen = new Map();
  const anchors = new Set();
  for (const [, heading] of text.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count ? `${base}-${count}` : base);
  }
  for (const [, id] of text.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(id);
  return anchors;
}

const broken = [];
for (const page of pages) {
  const text = prose(readFileSync(join(root, page), 'utf8')).replace(/`[^`\n]*`/g, '');
  for (const [, target] of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto:
    const [path, anchor] = target.split('#');
    const file = path
      ? resolve(dirname(join(root, page)), decodeURIComponent(path))
      : join(root, page);
    if (!existsSync(file)) {
      broken.push(`${page}: ${target} (no file ${relative(root, file)})`);
    } else if (anchor && file.endsWith('.md') && !anchorsOf(file).has(anchor)) {
      broken.push(`${page}: ${target} (no heading #${anchor} in ${relative(root, file)})`);
    }
  }
}
if (broken.length) {
  console.error(`Broken relative links:\n${broken.map((b) => `  ${b}`).join('\n')}`);
  process.exit(1);
}
console.log(`Relative links of ${pages.length} pages resolve.`);
