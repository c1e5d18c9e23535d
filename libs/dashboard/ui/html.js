// htm bound to Preact: tagged templates instead of JSX, so the UI needs no JSX build.
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
