// Markup the views share: the data table, the on/off badge and the refresh bar.
import { html } from './html.js';

/**
 * A table with a caption, one `<th scope="col">` per column (plus "Actions" when `actions`),
 * and the rows given as children.
 */
export function DataTable({ caption, columns, actions = false, className, children }) {
  return html`<table class=${className}>
    <caption>
      ${caption}
    </caption>
    <thead>
      <tr>
        ${columns.map((column) => html`<th scope="col">${column}</th>`)}
        ${actions && html`<th scope="col">Actions</th>`}
      </tr>
    </thead>
    <tbody>
      ${children}
    </tbody>
  </table>`;
}

/** A green "on" or grey "off" badge: `label` says which. */
export function OnOffBadge({ on, label }) {
  return html`<span class=${`badge ${on ? 'ok' : 'off'}`}>${label}</span>`;
}

/** An error message read out by screen readers, or nothing. */
export function ErrorAlert({ error }) {
  return error ? html`<p role="alert" class="error">${error}</p>` : null;
}

/** The Refresh button of a view that loads on demand, and its last error. */
export function RefreshBar({ reload, loading, error }) {
  return html`<p><button type="button" onClick=${reload} disabled=${loading}>Refresh</button></p>
    <${ErrorAlert} error=${error} />`;
}
