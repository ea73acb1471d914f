// Rules: the current rule set and its history (GET /api/v1/rulesets,
// GET /api/v1/rulesets/VERSION; ?version=V in the URL shows an older one),
// its signatures with enable/disable (PATCH /api/v1/rules/SID, admin; the
// disabled ones from GET /api/v1/rules/disabled; ?q= filters the list), the
// upload of a new rule set with its validation errors per line (POST
// /api/v1/rulesets, admin), and the suppressions with their expiry
// (GET /api/v1/suppressions; removal, DELETE, for admins). A collector
// without the rule-set history routes (404) shows the suppressions only.
import { api, ApiError } from '../api.js';
import { can, link, navigate } from '../app.js';
import { h } from '../dom.js';
import { fmtNumber, t } from '../i18n.js';
import { refusal, when } from '../format.js';

const MAX_SHOWN = 200;

// The signatures of a rule text: [{sid, msg, line}] for every rule line
// (commented-out lines are not rules).
export function signatures(text) {
  const out = [];
  (text || '').split('\n').forEach((l, i) => {
    const s = l.trim();
    if (!s || s.startsWith('#')) return;
    const sid = s.match(/[;(\s]sid\s*:\s*(\d+)\s*;/);
    if (!sid) return;
    const msg = s.match(/msg\s*:\s*"((?:[^"\\]|\\.)*)"/);
    out.push({ sid: Number(sid[1]), msg: msg ? msg[1] : '', line: i + 1 });
  });
  return out;
}

export async function rulesPage(main, params) {
  main.append(h('h1', null, t('nav.rules')));
  let history = null;
  try {
    history = await api('GET', '/api/v1/rulesets');
  } catch (x) {
    if (!(x instanceof ApiError) || x.status !== 404) throw x;
  }
  if (history) await rulesetSection(main, params, history);
  else main.append(h('p', { class: 'muted', id: 'rules-unavailable' }, t('rules.unavailable')));
  await suppressions(main);
}

async function rulesetSection(main, params, history) {
  const version = params.get('version') || history.current;
  const result = h('p', { id: 'rules-result', role: 'status' });
  const show = (text, bad) => {
    result.textContent = text;
    result.className = bad ? 'error' : 'ok';
  };
  if (can('admin')) main.append(uploadCard());
  main.append(result);
  if (!version) {
    main.append(h('p', { class: 'muted', id: 'rules-none' }, t('rules.none')));
  } else {
    const [rs, disabled] = await Promise.all([api('GET', '/api/v1/rulesets/' + encodeURIComponent(version)), api('GET', '/api/v1/rules/disabled')]);
    const off = new Map(disabled.rules.map((d) => [d.sid, d]));
    const current = version === history.current;
    const all = signatures(rs.uploaded_text || rs.text);
    const q = (params.get('q') || '').toLowerCase();
    const shown = all.filter((r) => !q || String(r.sid) === q || r.msg.toLowerCase().includes(q));
    const search = h('input', { id: 'rules-q', value: params.get('q') || '', placeholder: t('rules.search') });
    main.append(
      h(
        'div',
        { class: 'card', id: 'ruleset' },
        h('h2', null, current ? t('rules.current', { version }) : t('rules.old', { version })),
        h('p', { class: 'muted' }, t('rules.summary', { loaded: fmtNumber(rs.report?.rules_loaded ?? all.length), failed: fmtNumber(rs.report?.rules_failed ?? 0), author: rs.author || '-', when: when(rs.created_at) })),
        h(
          'form',
          {
            class: 'toolbar',
            onsubmit: (e) => {
              e.preventDefault();
              const u = new URLSearchParams(params);
              if (search.value.trim()) u.set('q', search.value.trim());
              else u.delete('q');
              navigate('/ui/rules' + (u.toString() ? '?' + u : ''));
            },
          },
          h('label', { for: 'rules-q' }, t('rules.search'), ' ', search),
          h('button', { type: 'submit', id: 'rules-search' }, t('filter.apply')),
          h('span', { class: 'muted' }, t('rules.shown', { n: fmtNumber(Math.min(shown.length, MAX_SHOWN)), total: fmtNumber(all.length) })),
        ),
        h(
          'table',
          { class: 'grid', id: 'rules' },
          h('thead', null, h('tr', null, [t('rules.sid'), t('rules.msg'), t('rules.state'), current && can('admin') ? t('users.actions') : null].filter(Boolean).map((c) => h('th', null, c)))),
          h(
            'tbody',
            null,
            shown.slice(0, MAX_SHOWN).map((r) => {
              const d = off.get(r.sid);
              const reason = h('input', { class: 'rule-reason', placeholder: t('rules.reason'), 'aria-label': t('rules.reason') });
              return h(
                'tr',
                { 'data-sid': String(r.sid) },
                h('td', null, String(r.sid)),
                h('td', { class: 'rule-msg' }, r.msg),
                h('td', { class: 'rule-state ' + (d ? 'offline' : 'online') }, d ? t('rules.disabled_by', { author: d.author, reason: d.reason }) : t('rules.enabled')),
                current && can('admin')
                  ? h(
                      'td',
                      null,
                      h(
                        'div',
                        { class: 'toolbar' },
                        d ? null : reason,
                        h(
                          'button',
                          {
                            class: 'rule-toggle',
                            onclick: async () => {
                              const body = d ? { enabled: true } : { enabled: false, reason: reason.value.trim() };
                              if (!d && !body.reason) {
                                show(t('rules.reason_needed'), true);
                                return;
                              }
                              try {
                                // The new version is the current one now: the page shows it.
                                await api('PATCH', '/api/v1/rules/' + r.sid, body);
                                navigate('/ui/rules' + (params.get('q') ? '?q=' + encodeURIComponent(params.get('q')) : ''), { replace: true });
                              } catch (x) {
                                show(refusal(x), true);
                              }
                            },
                          },
                          d ? t('rules.enable') : t('rules.disable'),
                        ),
                      ),
                    )
                  : null,
              );
            }),
          ),
        ),
      ),
    );
  }
  main.append(
    h(
      'div',
      { class: 'card' },
      h('h2', null, t('rules.history')),
      h(
        'table',
        { class: 'grid', id: 'ruleset-history' },
        h('thead', null, h('tr', null, [t('rules.version'), t('tokens.created'), t('rules.author'), t('rules.loaded'), t('rules.failed'), t('rules.change')].map((c) => h('th', null, c)))),
        h(
          'tbody',
          null,
          history.rulesets.map((r) =>
            h(
              'tr',
              { class: r.version === version ? 'fresh' : null },
              h('td', null, link('/ui/rules?version=' + encodeURIComponent(r.version), null, r.version)),
              h('td', null, when(r.created_at)),
              h('td', null, r.author || '-'),
              h('td', null, fmtNumber(r.rules_loaded)),
              h('td', null, fmtNumber(r.rules_failed)),
              h('td', null, changeText(r.change)),
            ),
          ),
        ),
      ),
    ),
  );
}

function changeText(c) {
  if (!c || c.kind === 'upload') return t('rules.change_upload');
  if (c.kind === 'disable') return t('rules.change_disable', { sid: c.sid, reason: c.reason || '' });
  if (c.kind === 'enable') return t('rules.change_enable', { sid: c.sid });
  return String(c.kind);
}

function uploadCard() {
  const text = h('textarea', { id: 'rs-text', rows: '8', spellcheck: 'false', 'aria-label': t('rules.upload_text') });
  const file = h('input', {
    type: 'file',
    id: 'rs-file',
    accept: '.rules,text/plain',
    onchange: async () => {
      if (file.files[0]) text.value = await file.files[0].text();
    },
  });
  const allow = h('input', { type: 'checkbox', id: 'rs-allow' });
  const out = h('div', { id: 'rs-result', role: 'status' });
  return h(
    'form',
    {
      class: 'card',
      id: 'rs-upload-form',
      onsubmit: async (e) => {
        e.preventDefault();
        const body = text.value;
        try {
          const r = await api('POST', '/api/v1/rulesets' + (allow.checked ? '?allow_errors=1' : ''), body, { text: true });
          out.replaceChildren(
            h('p', { class: 'ok' }, t('rules.uploaded', { version: r.version, loaded: fmtNumber(r.rules_loaded), failed: fmtNumber(r.rules_failed) }), ' ', link('/ui/rules', { id: 'rs-show-new' }, t('rules.show_new'))),
            errorTable(r.errors, body),
          );
        } catch (x) {
          if (!(x instanceof ApiError) || !x.body || !Array.isArray(x.body.errors)) {
            out.replaceChildren(h('p', { class: 'error' }, refusal(x)));
            return;
          }
          out.replaceChildren(h('p', { class: 'error' }, t('rules.rejected', { n: fmtNumber(x.body.errors.length) })), errorTable(x.body.errors, body));
        }
      },
    },
    h('h2', null, t('rules.upload')),
    text,
    h('div', { class: 'toolbar' }, file, h('label', { for: 'rs-allow' }, allow, ' ', t('rules.allow_errors')), h('button', { type: 'submit', id: 'rs-upload' }, t('rules.upload_submit'))),
    out,
  );
}

// The validation errors, one row per line, with the line's text as uploaded.
function errorTable(errors, body) {
  if (!errors || !errors.length) return null;
  const lines = body.split('\n');
  return h(
    'table',
    { class: 'grid', id: 'rs-errors' },
    h('thead', null, h('tr', null, [t('rules.line'), t('rules.sid'), t('rules.error'), t('rules.line_text')].map((c) => h('th', null, c)))),
    h(
      'tbody',
      null,
      errors.map((e) => {
        const it = typeof e === 'string' ? { text: e } : e;
        return h(
          'tr',
          { 'data-line': it.line ? String(it.line) : null },
          h('td', null, it.line ? String(it.line) : '-'),
          h('td', null, it.sid !== undefined ? String(it.sid) : '-'),
          h('td', { class: 'rs-reason' }, it.reason || it.text || ''),
          h('td', null, h('code', { class: 'rs-line' }, it.line && lines[it.line - 1] !== undefined ? lines[it.line - 1] : '')),
        );
      }),
    ),
  );
}

async function suppressions(main) {
  const { suppressions: list } = await api('GET', '/api/v1/suppressions');
  const result = h('p', { id: 'sup-list-result', role: 'status' });
  const now = Date.now() / 1000;
  const TRACK = { none: () => t('sups.everywhere'), by_src: () => t('sups.by_src'), by_dst: () => t('sups.by_dst') };
  main.append(
    h(
      'div',
      { class: 'card' },
      h('h2', null, t('sups.title')),
      result,
      list.length
        ? h(
            'table',
            { class: 'grid', id: 'suppressions' },
            h('thead', null, h('tr', null, [t('rules.sid'), t('sups.scope'), t('suppress.reason'), t('rules.author'), t('tokens.created'), t('sups.expires'), t('tokens.state'), t('sups.hits'), ''].map((c) => h('th', null, c)))),
            h(
              'tbody',
              null,
              list.map((s) =>
                h(
                  'tr',
                  { 'data-id': String(s.id) },
                  h('td', null, link('/ui/alerts?sid=' + s.sid, null, (s.gid || 1) + ':' + s.sid)),
                  h('td', null, TRACK[s.track] ? TRACK[s.track]() : s.track, s.cidr ? ' ' + s.cidr : ''),
                  h('td', { class: 'sup-reason' }, s.reason),
                  h('td', null, s.author),
                  h('td', null, when(s.created_at)),
                  h('td', { class: 'sup-expires' }, s.expires_at ? when(s.expires_at) : t('suppress.never')),
                  h('td', { class: 'sup-state' }, s.removed_at ? t('sups.removed') : s.active && !(s.expires_at && s.expires_at < now) ? t('sups.active') : t('sups.expired')),
                  h('td', null, fmtNumber(s.hits || 0)),
                  h(
                    'td',
                    null,
                    can('admin') && !s.removed_at
                      ? h(
                          'button',
                          {
                            class: 'sup-remove',
                            onclick: async () => {
                              try {
                                await api('DELETE', '/api/v1/suppressions/' + s.id);
                                navigate(location.pathname + location.search, { replace: true });
                              } catch (x) {
                                result.textContent = refusal(x);
                                result.className = 'error';
                              }
                            },
                          },
                          t('sups.remove'),
                        )
                      : null,
                  ),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('sups.none')),
    ),
  );
}
