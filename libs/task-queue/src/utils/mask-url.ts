/** Hide the password of a URL: `redis://:secret@host` → `redis://:**@host`. */
export function maskUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1**@');
}
