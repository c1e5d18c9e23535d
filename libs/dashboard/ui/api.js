// The JSON API of the dashboard (docs/dashboard.md#json-api), relative to <base href>.

/** GET a JSON resource; throws with the server's message on an error status. */
export async function getJson(path) {
  const response = await fetch(path, {
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  });
  if (!response.ok) throw new Error(await errorText(response));
  return response.json();
}

/** Run an action after the user confirmed it; resolves the server's result. */
export async function runAction(path, question, extra = {}) {
  if (!window.confirm(question)) return null;
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ confirm: true, ...extra }),
  });
  if (!response.ok) throw new Error(await errorText(response));
  return response.json();
}

async function errorText(response) {
  try {
    const body = await response.json();
    return `${response.status}: ${body.message ?? response.statusText}`;
  } catch {
    return `${response.status}: ${response.statusText}`;
  }
}

/** Format a ms timestamp as local time (with ms), or a dash. */
export function time(ms) {
  if (ms === null || ms === undefined) return '–';
  const d = new Date(ms);
  return `${d.toLocaleTimeString()}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** Age of a ms timestamp, in words. */
export function age(ms, now = Date.now()) {
  if (ms === null || ms === undefined) return '–';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}
