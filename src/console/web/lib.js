// Preact through htm's tagged templates: no build step, so `npm start` serves these files as they are.
import { h, render } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
export { render };

/** Age of a moment as whole days, or hours under a day. */
export function ageOf(iso, now = Date.now()) {
  const hours = Math.max(0, (now - new Date(iso).getTime()) / 3_600_000);
  return hours < 24 ? { n: Math.floor(hours), unit: 'hours' } : { n: Math.floor(hours / 24), unit: 'days' };
}

export function day(iso) {
  return iso ? iso.slice(0, 10) : '';
}
