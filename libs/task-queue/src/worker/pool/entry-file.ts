/**
 * The compiled program pool isolates run. Next to this file once built; when the library runs
 * from its TypeScript sources (the repository's own tests), the built copy in `dist/`.
 */
export function isolateEntryFile(): URL {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new URL('./isolate-entry.js', here);
  const at = here.lastIndexOf('/src/');
  return new URL('./isolate-entry.js', `${here.slice(0, at)}/dist/${here.slice(at + 5)}`);
}
