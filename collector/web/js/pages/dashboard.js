// The dashboard: alerts over time by severity (an SVG drawn here, no chart
// library), counts by severity, the top signatures, sources, destinations
// and agents (GET /api/v1/stats/alerts), and the agents online and offline
// (GET /api/v1/agents). The range (1 h, 24 h, 7 days or custom) is in the URL;
// every number links to the alert list filtered the same way.
import { api } from '../api.js';
import { link, navigate } from '../app.js';
import { h, svg } from '../dom.js';
import { fmtNumber, fmtTime, parseTime, t } from '../i18n.js';
import { isoSeconds, sevBadge, toLocalInput } from '../format.js';

const RANGES = { '1h': [3600, 60], '24h': [86400, 3600], '7d': [7 * 86400, 6 * 3600] };
const RANGE_NAMES = { '1h': () => t('range.1h'), '24h': () => t('range.24h'), '7d': () => t('range.7d') };

function rangeOf(params) {
  const now = Math.floor(Date.now() / 1000);
  const from = parseTime(params.get('from'));
  const to = parseTime(params.get('to'));
  if (from) {
    const f = Math.floor(from.getTime() / 1000);
    const e = to ? Math.floor(to.getTime() / 1000) : now;
    const span = Math.max(60, e - f);
    return { key: 'custom', from: f, to: e, interval: Math.max(60, Math.ceil(span / 48 / 60) * 60) };
  }
  const key = RANGES[params.get('range')] ? params.get('range') : '24h';
  const [span, interval] = RANGES[key];
  return { key, from: now - span, to: now, interval };
}

function alertsLink(r, extra) {
  const q = new URLSearchParams({ from: isoSeconds(new Date(r.from * 1000)), to: isoSeconds(new Date(r.to * 1000)), ...extra });
  return '/ui/alerts?' + q;
}

function chart(stats) {
  const W = 800;
  const H = 200;
  const pad = 30;
  const buckets = new Map(stats.series.map((b) => [b.start, b]));
  // Buckets start at multiples of the interval: the first one may begin
  // before `from`, and the one holding `to` must be drawn too.
  const first = Math.floor(stats.from / stats.interval) * stats.interval;
  const n = Math.max(1, Math.ceil((stats.to - first) / stats.interval));
  let max = 1;
  for (const b of stats.series) max = Math.max(max, b.total);
  const bw = (W - pad) / n;
  const bars = [];
  for (let i = 0; i < n; i++) {
    const b = buckets.get(first + i * stats.interval);
    if (!b) continue;
    let y = H - pad;
    for (const sev of Object.keys(b.by_severity).sort((x, z) => z - x)) {
      const hgt = ((H - pad - 10) * b.by_severity[sev]) / max;
      y -= hgt;
      bars.push(svg('rect', { x: pad + i * bw + 1, y, width: Math.max(1, bw - 2), height: hgt, class: 's' + Math.min(Math.max(Number(sev), 1), 4) }, svg('title', null, fmtTime(b.start) + ': ' + fmtNumber(b.by_severity[sev]))));
    }
  }
  return svg(
    'svg',
    { class: 'chart', id: 'chart', viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': t('dash.over_time') },
    svg('line', { x1: pad, y1: H - pad, x2: W, y2: H - pad, class: 'axis' }),
    svg('line', { x1: pad, y1: 5, x2: pad, y2: H - pad, class: 'axis' }),
    svg('text', { x: 2, y: 14 }, fmtNumber(max)),
    svg('text', { x: 2, y: H - pad }, '0'),
    svg('text', { x: pad, y: H - 8 }, fmtTime(stats.from)),
    svg('text', { x: W - 120, y: H - 8 }, fmtTime(stats.to)),
    bars,
  );
}

function topTable(id, title, rows, r, key) {
  return h(
    'div',
    { class: 'card' },
    h('h3', null, title),
    rows.length
      ? h('table', { class: 'grid', id }, h('tbody', null, rows.map((e) => h('tr', null, h('td', null, e.label), h('td', null, link(alertsLink(r, { [key]: e.value }), null, fmtNumber(e.count)))))))
      : h('p', { class: 'muted' }, t('dash.nothing')),
  );
}

export async function dashboardPage(main, params) {
  const r = rangeOf(params);
  const from = h('input', { type: 'datetime-local', id: 'dash-from', value: r.key === 'custom' ? toLocalInput(new Date(r.from * 1000)) : '' });
  const to = h('input', { type: 'datetime-local', id: 'dash-to', value: r.key === 'custom' ? toLocalInput(new Date(r.to * 1000)) : '' });
  main.append(
    h('h1', null, t('nav.dashboard')),
    h(
      'form',
      {
        class: 'toolbar card',
        onsubmit: (e) => {
          e.preventDefault();
          const f = new Date(from.value);
          if (isNaN(f.getTime())) return;
          const q = new URLSearchParams({ from: isoSeconds(f) });
          const tt = new Date(to.value);
          if (!isNaN(tt.getTime())) q.set('to', isoSeconds(tt));
          navigate('/ui/dashboard?' + q);
        },
      },
      Object.keys(RANGES).map((k) => h('button', { type: 'button', id: 'dash-' + k, class: r.key === k ? 'active' : null, onclick: () => navigate('/ui/dashboard?range=' + k) }, RANGE_NAMES[k]())),
      h('label', null, t('filter.from'), ' ', from),
      h('label', null, t('filter.to'), ' ', to),
      h('button', { type: 'submit' }, t('dash.custom')),
    ),
  );
  const [stats, agents] = await Promise.all([
    api('GET', `/api/v1/stats/alerts?from=${r.from}&to=${r.to}&interval=${r.interval}&top=10`),
    api('GET', '/api/v1/agents'),
  ]);
  const sevs = Object.keys(stats.by_severity).sort((a, b) => a - b);
  main.append(
    h(
      'div',
      { class: 'bars' },
      h('div', { class: 'card' }, h('div', null, t('dash.total')), link(alertsLink(r, {}), { class: 'bignum', id: 'dash-total' }, fmtNumber(stats.total))),
      sevs.map((s) => h('div', { class: 'card' }, h('div', null, t('alert.severity'), ' ', sevBadge(s)), link(alertsLink(r, { severity: s }), { class: 'bignum', id: 'dash-sev-' + s }, fmtNumber(stats.by_severity[s])))),
    ),
    h('div', { class: 'card' }, h('h2', null, t('dash.over_time')), chart(stats)),
  );
  const top = stats.top || {};
  const agentName = new Map(agents.agents.map((a) => [a.id, a.hostname || a.id]));
  main.append(
    h(
      'div',
      { class: 'cols' },
      topTable('top-signatures', t('dash.top_signatures'), (top.signatures || []).map((e) => ({ label: e.signature || String(e.sid), value: String(e.sid), count: e.count })), r, 'sid'),
      topTable('top-sources', t('dash.top_sources'), (top.sources || []).map((e) => ({ label: e.ip, value: e.ip, count: e.count })), r, 'src_ip'),
      topTable('top-destinations', t('dash.top_destinations'), (top.destinations || []).map((e) => ({ label: e.ip, value: e.ip, count: e.count })), r, 'dest_ip'),
      topTable('top-agents', t('dash.top_agents'), (top.agents || []).map((e) => ({ label: agentName.get(e.agent_id) || e.agent_id, value: e.agent_id, count: e.count })), r, 'agent'),
    ),
  );
  const online = agents.agents.filter((a) => a.status === 'online').length;
  const STATUS = { online: () => t('agent.online'), offline: () => t('agent.offline'), never_seen: () => t('agent.never_seen'), revoked: () => t('agent.revoked') };
  main.append(
    h(
      'div',
      { class: 'card', id: 'dash-agents' },
      h('h2', null, link('/ui/agents', { id: 'dash-agents-link' }, t('dash.agents', { online: fmtNumber(online), total: fmtNumber(agents.agents.length) }))),
      h(
        'table',
        { class: 'grid' },
        h('thead', null, h('tr', null, [t('agent.hostname'), t('agent.id'), t('agent.status'), t('agent.last_seen'), t('agent.version')].map((c) => h('th', null, c)))),
        h('tbody', null, agents.agents.map((a) => h('tr', null, h('td', null, a.hostname || ''), h('td', null, a.id), h('td', { class: a.status === 'online' ? 'online' : 'offline' }, STATUS[a.status] ? STATUS[a.status]() : a.status), h('td', null, a.last_seen ? fmtTime(a.last_seen) : '-'), h('td', null, a.version || '')))),
      ),
    ),
  );
}
