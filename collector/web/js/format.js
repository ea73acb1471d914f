// Small renderings shared by the pages: triage statuses, severities, roles,
// addresses, API refusals, copying to the clipboard. Each returns DOM nodes
// or plain strings, never markup.
import { h } from './dom.js';
import { fmtTime, t } from './i18n.js';

export const STATUSES = ['new', 'acknowledged', 'escalated', 'false_positive', 'closed'];

const STATUS_NAMES = {
  new: () => t('status.new'),
  acknowledged: () => t('status.acknowledged'),
  escalated: () => t('status.escalated'),
  false_positive: () => t('status.false_positive'),
  closed: () => t('status.closed'),
};

export function statusName(s) {
  return STATUS_NAMES[s] ? STATUS_NAMES[s]() : String(s ?? '');
}

export function statusBadge(s) {
  return h('span', { class: 'status status-' + (STATUS_NAMES[s] ? s : 'other') }, statusName(s));
}

export function sevBadge(sev) {
  const n = Number(sev) || 0;
  return h('span', { class: 'sev sev-' + Math.min(n, 4), title: t('alert.severity') }, String(n || '-'));
}

export function endpoint(ip, port) {
  if (!ip) return '';
  if (port === undefined || port === null) return ip;
  return String(ip).includes(':') ? '[' + ip + ']:' + port : ip + ':' + port;
}

// datetime-local value (local time) <-> the ISO UTC time the API takes.
export function toLocalInput(d) {
  if (!d) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function isoSeconds(d) {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const ROLES = ['viewer', 'analyst', 'admin'];
const ROLE_NAMES = { admin: () => t('role.admin'), analyst: () => t('role.analyst'), viewer: () => t('role.viewer') };
export function roleName(r) {
  return ROLE_NAMES[r] ? ROLE_NAMES[r]() : r || '';
}

// What to show when the API refused: its error and detail, as text.
export function refusal(x) {
  const b = (x && x.body) || {};
  return [t('error.refused'), b.error || (x && x.message) || '', b.detail || ''].filter(Boolean).join(' ');
}

// A unix time (seconds) in the officer's zone, or "-" when 0 or null.
export function when(s) {
  return s ? fmtTime(Number(s)) : '-';
}

// Copies to the clipboard where the browser allows it (https, a user's
// click); says so either way.
export async function copyText(text, where) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch (_) {
    /* not allowed: the text stays on screen to select */
  }
  where.append(h('p', { class: ok ? 'ok copy-result' : 'muted copy-result' }, ok ? t('common.copied') : t('common.copy_failed')));
}
