// The language of the UI: English or Vietnamese, every visible string looked
// up in collector/web/i18n/{en,vi}.js by key (tests/web/i18n_test.mjs checks
// both have the same keys and that every t('key') in the code exists). A
// logged-in user's choice is kept on the server (PATCH /api/v1/users/me,
// answered by GET /api/v1/session) and used after login; the browser also
// keeps the last choice in localStorage; before any choice the browser's
// language decides (vi* Vietnamese, else English).
import en from '../i18n/en.js';
import vi from '../i18n/vi.js';

const DICTS = { en, vi };
const STORE_KEY = 'vigil.lang';
let lang = initial();

function initial() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORE_KEY);
  } catch (_) {
    /* storage disabled */
  }
  if (saved && DICTS[saved]) return saved;
  return (navigator.language || 'en').toLowerCase().startsWith('vi') ? 'vi' : 'en';
}

export const LANGS = ['en', 'vi'];

export function getLang() {
  return lang;
}

export function setLang(l) {
  if (!DICTS[l]) return;
  lang = l;
  try {
    localStorage.setItem(STORE_KEY, l);
  } catch (_) {
    /* storage disabled: this page only */
  }
  document.documentElement.lang = l;
}

// t('alerts.total', {n: 5}): the string for key with {name} replaced.
export function t(key, params) {
  let s = DICTS[lang][key] ?? DICTS.en[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}

function locale() {
  return lang === 'vi' ? 'vi-VN' : 'en-GB';
}

// An EVE time ("2026-11-26T03:27:31.123456+0000"), ISO time or unix seconds as a Date.
export function parseTime(v) {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'number' || /^\d{1,12}$/.test(String(v))) return new Date(Number(v) * 1000);
  let s = String(v).replace(/(\.\d{3})\d+/, '$1').replace(/([+-]\d\d)(\d\d)$/, '$1:$2');
  if (/^\d{4}-\d\d-\d\d$/.test(s)) s += 'T00:00:00Z';
  const d = new Date(s);
  return isNaN(d.getTime()) ? null : d;
}

// In the officer's time zone, formatted per language.
export function fmtTime(v) {
  const d = parseTime(v);
  if (!d) return '';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'short', timeStyle: 'medium' }).format(d);
}

export function fmtNumber(n) {
  return new Intl.NumberFormat(locale()).format(n);
}
