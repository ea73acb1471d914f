// The rule behind an alert: its text, classtype and references, looked up
// by sid in the current published rule set (GET /api/v1/rulesets, then
// GET /api/v1/rulesets/VERSION once per version while the page lives: a rule
// set can be megabytes, so it is not fetched again for every alert).
// Resolves to null when the collector has no rule-set history or the sid is
// not in the current set. References become links only for url and cve.
import { api, ApiError } from './api.js';

let cached = null; // {version, bySid: Map<number, {text, classtype, refs}>}

function parse(text) {
  const bySid = new Map();
  for (const line of (text || '').split('\n')) {
    const s = line.trim();
    if (!s || s.startsWith('#')) continue;
    const sid = s.match(/[;(\s]sid\s*:\s*(\d+)\s*;/);
    if (!sid) continue;
    const cls = s.match(/[;(\s]classtype\s*:\s*([^;]+);/);
    const refs = [...s.matchAll(/[;(\s]reference\s*:\s*([^,;]+),([^;]+);/g)].map((m) => refLink(m[1].trim(), m[2].trim()));
    bySid.set(Number(sid[1]), { text: s, classtype: cls ? cls[1].trim() : '', refs });
  }
  return bySid;
}

// {label, href}: href null when the kind has no well-known address.
function refLink(kind, value) {
  const k = kind.toLowerCase();
  if (k === 'url') return { label: value, href: /^https?:\/\//i.test(value) ? value : 'http://' + value };
  if (k === 'cve') return { label: 'CVE-' + value.replace(/^cve-/i, ''), href: 'https://www.cve.org/CVERecord?id=CVE-' + encodeURIComponent(value.replace(/^cve-/i, '')) };
  return { label: kind + ': ' + value, href: null };
}

export async function ruleForSid(sid) {
  let hist;
  try {
    hist = await api('GET', '/api/v1/rulesets');
  } catch (x) {
    if (x instanceof ApiError && x.status === 404) return null;
    throw x;
  }
  if (!hist.current) return null;
  if (!cached || cached.version !== hist.current) {
    const rs = await api('GET', '/api/v1/rulesets/' + encodeURIComponent(hist.current));
    cached = { version: hist.current, bySid: parse(rs.uploaded_text || rs.text) };
  }
  const r = cached.bySid.get(Number(sid));
  return r ? { ...r, version: cached.version } : null;
}
