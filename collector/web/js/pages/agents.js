// Agents, for IT staff: every agent (GET /api/v1/agents) with its host name,
// address (of its last heartbeat, else of its enrolment), capture interfaces, version, rule-set version, status and last seen, and
// from its heartbeat history (GET /api/v1/agents/ID/heartbeats, newest first,
// cumulative counters) packets/s, capture drops, spool depth and alerts/s
// between the two newest heartbeats, with a small SVG chart of packets/s and
// alerts/s over the history. Admins also revoke an agent
// (DELETE /api/v1/agents/ID, two clicks) and manage enrolment tokens
// (POST/GET/DELETE /api/v1/enrollment-tokens: the enrol command is shown once,
// with a copy button).
import { api } from '../api.js';
import { can } from '../app.js';
import { h, svg } from '../dom.js';
import { fmtNumber, t } from '../i18n.js';
import { copyText, refusal, when } from '../format.js';

const STATUS = {
  online: () => t('agent.online'),
  offline: () => t('agent.offline'),
  never_seen: () => t('agent.never_seen'),
  revoked: () => t('agent.revoked'),
};

// Rates between consecutive heartbeats, oldest first: [{ts, pps, aps, drops}].
// A counter that went down (the agent restarted) gives no rate for that step.
export function rates(history) {
  const hb = [...history].filter((x) => x && x.received_at).sort((a, b) => a.received_at - b.received_at);
  const out = [];
  for (let i = 1; i < hb.length; i++) {
    const dt = hb[i].received_at - hb[i - 1].received_at;
    if (dt <= 0) continue;
    const d = (k) => {
      const v = Number(hb[i][k]) - Number(hb[i - 1][k]);
      return Number.isFinite(v) && v >= 0 ? v / dt : null;
    };
    out.push({ ts: hb[i].received_at, pps: d('packets'), aps: d('alerts'), drops: d('capture_drops') });
  }
  return out;
}

function fmtRate(v) {
  return v === null || v === undefined ? '-' : fmtNumber(Math.round(v * 10) / 10);
}

function spark(series, agentId) {
  const W = 160;
  const H = 40;
  const line = (key, cls) => {
    const pts = series.filter((p) => p[key] !== null);
    if (pts.length < 1) return null;
    const max = Math.max(...pts.map((p) => p[key]), 1e-9);
    const t0 = series[0].ts;
    const span = Math.max(1, series[series.length - 1].ts - t0);
    const xy = pts.map((p) => `${(((p.ts - t0) / span) * (W - 2) + 1).toFixed(1)},${(H - 2 - (p[key] / max) * (H - 4)).toFixed(1)}`);
    return svg('polyline', { points: xy.join(' '), class: cls });
  };
  return svg(
    'svg',
    { class: 'spark', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': t('agents.chart', { agent: agentId }) },
    svg('title', null, t('agents.chart', { agent: agentId })),
    line('pps', 'pps'),
    line('aps', 'aps'),
  );
}

export async function agentsPage(main) {
  main.append(h('h1', null, t('nav.agents')));
  const result = h('p', { id: 'agents-result', role: 'status' });
  const show = (text, bad) => {
    result.textContent = text;
    result.className = bad ? 'error' : 'ok';
  };
  const list = h('div');
  main.append(result, list);
  async function load() {
    const { agents } = await api('GET', '/api/v1/agents');
    const histories = await Promise.all(
      agents.map((a) => api('GET', '/api/v1/agents/' + encodeURIComponent(a.id) + '/heartbeats').then((r) => r.heartbeats || [], () => [])),
    );
    const cols = [
      t('agent.hostname'),
      t('agent.address'),
      t('agent.id'),
      t('agents.interfaces'),
      t('agent.version'),
      t('agents.ruleset'),
      t('agent.status'),
      t('agent.last_seen'),
      t('agents.pps'),
      t('agents.drops'),
      t('agents.spool'),
      t('agents.aps'),
      t('agents.history'),
    ];
    if (can('admin')) cols.push('');
    list.replaceChildren(
      agents.length
        ? h(
            'div',
            { class: 'scroll' },
            h(
              'table',
              { class: 'grid', id: 'agents' },
              h('thead', null, h('tr', null, cols.map((c) => h('th', null, c)))),
              h(
                'tbody',
                null,
                agents.map((a, i) => {
                  const series = rates(histories[i]);
                  const last = series[series.length - 1] || {};
                  const hb = a.heartbeat || {};
                  const spool = hb.counters && hb.counters['spool.depth'];
                  return h(
                    'tr',
                    { 'data-id': a.id },
                    h('td', { class: 'ag-host' }, a.hostname || ''),
                    h('td', { class: 'ag-addr' }, a.address || '-'),
                    h('td', null, h('code', null, a.id)),
                    h('td', { class: 'ag-ifaces' }, Array.isArray(hb.interfaces) ? hb.interfaces.join(', ') : ''),
                    h('td', null, a.version || ''),
                    h('td', null, a.ruleset_version || ''),
                    h('td', { class: 'ag-status ' + (a.status === 'online' ? 'online' : 'offline') }, STATUS[a.status] ? STATUS[a.status]() : a.status),
                    h('td', null, when(a.last_seen)),
                    h('td', { class: 'ag-pps num' }, fmtRate(last.pps)),
                    h('td', { class: 'ag-drops num', title: t('agents.drops_total') }, hb.capture_drops === undefined ? '-' : fmtNumber(hb.capture_drops)),
                    h('td', { class: 'ag-spool num' }, spool === undefined ? '-' : fmtNumber(spool)),
                    h('td', { class: 'ag-aps num' }, fmtRate(last.aps)),
                    h('td', null, series.length ? spark(series, a.hostname || a.id) : h('span', { class: 'muted' }, t('agents.no_history'))),
                    can('admin') ? h('td', null, a.status === 'revoked' ? null : revokeButton(a)) : null,
                  );
                }),
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('agents.none')),
    );
  }

  // Two clicks: the first asks, the second revokes.
  function revokeButton(a) {
    let armed = false;
    const b = h('button', {
      class: 'ag-revoke',
      onclick: async () => {
        if (!armed) {
          armed = true;
          b.textContent = t('agents.revoke_confirm', { agent: a.hostname || a.id });
          b.classList.add('danger');
          return;
        }
        try {
          await api('DELETE', '/api/v1/agents/' + encodeURIComponent(a.id));
          await load();
          show(t('agents.revoked_done', { agent: a.hostname || a.id }), false);
        } catch (x) {
          show(refusal(x), true);
        }
      },
    });
    b.textContent = t('agents.revoke');
    return b;
  }

  await load();
  if (can('admin')) await enrolmentTokens(main);
}

const TTLS = [
  ['1h', () => t('enrol.ttl_1h')],
  ['24h', () => t('enrol.ttl_24h')],
  ['7d', () => t('enrol.ttl_7d')],
  ['30d', () => t('enrol.ttl_30d')],
];

async function enrolmentTokens(main) {
  const ttl = h('select', { id: 'et-ttl' }, TTLS.map(([v, l]) => h('option', { value: v, selected: v === '24h' }, l())));
  const uses = h('input', { id: 'et-uses', type: 'number', min: '1', max: '100000', value: '1' });
  const result = h('div', { id: 'et-result', role: 'status' });
  const list = h('div');
  async function load() {
    const { tokens } = await api('GET', '/api/v1/enrollment-tokens');
    const STATES = {
      active: () => t('enrol.active'),
      expired: () => t('enrol.expired'),
      used_up: () => t('enrol.used_up'),
      revoked: () => t('enrol.revoked'),
    };
    list.replaceChildren(
      tokens.length
        ? h(
            'table',
            { class: 'grid', id: 'enrol-tokens' },
            h('thead', null, h('tr', null, [t('tokens.id'), t('tokens.created'), t('tokens.expires'), t('enrol.uses_left'), t('tokens.state'), ''].map((c) => h('th', null, c)))),
            h(
              'tbody',
              null,
              tokens.map((k) =>
                h(
                  'tr',
                  { 'data-id': k.id },
                  h('td', null, h('code', null, k.id)),
                  h('td', null, when(k.created_at)),
                  h('td', null, when(k.expires_at)),
                  h('td', null, fmtNumber(k.uses_left)),
                  h('td', { class: 'et-state' }, STATES[k.status] ? STATES[k.status]() : k.status),
                  h(
                    'td',
                    null,
                    k.status !== 'active'
                      ? null
                      : h(
                          'button',
                          {
                            class: 'et-revoke',
                            onclick: async () => {
                              try {
                                await api('DELETE', '/api/v1/enrollment-tokens/' + encodeURIComponent(k.id));
                                result.replaceChildren(h('p', { class: 'ok' }, t('enrol.revoked_done', { id: k.id })));
                                await load();
                              } catch (x) {
                                result.replaceChildren(h('p', { class: 'error' }, refusal(x)));
                              }
                            },
                          },
                          t('tokens.revoke'),
                        ),
                  ),
                ),
              ),
            ),
          )
        : h('p', { class: 'muted' }, t('enrol.none')),
    );
  }
  main.append(
    h(
      'div',
      { class: 'card', id: 'enrolment' },
      h('h2', null, t('enrol.title')),
      h(
        'form',
        {
          class: 'toolbar',
          onsubmit: async (e) => {
            e.preventDefault();
            try {
              const k = await api('POST', '/api/v1/enrollment-tokens', { ttl: ttl.value, uses: Number(uses.value) || 1 });
              result.replaceChildren(
                h('p', null, t('enrol.shown_once')),
                h('pre', { class: 'secret', id: 'et-command' }, k.command),
                h('button', { type: 'button', id: 'et-copy', onclick: () => copyText(k.command, result) }, t('common.copy')),
              );
              await load();
            } catch (x) {
              result.replaceChildren(h('p', { class: 'error' }, refusal(x)));
            }
          },
        },
        h('label', { for: 'et-ttl' }, t('enrol.ttl'), ' ', ttl),
        h('label', { for: 'et-uses' }, t('enrol.uses'), ' ', uses),
        h('button', { type: 'submit', id: 'et-create' }, t('enrol.create')),
      ),
      result,
      list,
    ),
  );
  await load();
}
