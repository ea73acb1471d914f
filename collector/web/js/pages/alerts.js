// The alert list: every filter of GET /api/v1/alerts, held in the URL (a
// reload or a shared link shows the same view), keyset paging by cursor,
// grouping on/off, a poll for newer alerts that only announces them ("N new")
// so the officer keeps their place, bulk triage of a selection or of the
// whole filter (analyst and admin), and export links for the filter.
import { api, ApiError } from '../api.js';
import { can, link, navigate } from '../app.js';
import { h } from '../dom.js';
import { fmtNumber, fmtTime, parseTime, t } from '../i18n.js';
import { endpoint, isoSeconds, sevBadge, statusBadge, statusName, STATUSES, toLocalInput } from '../format.js';

const PAGE_SIZE = 50;
const POLL_MS = 5000;
const PROTOS = ['TCP', 'UDP', 'ICMP', 'IPv6-ICMP', 'SCTP'];

// The filter names of the API, in the order the form shows them.
const FIELDS = [
  { name: 'from', kind: 'time', label: () => t('filter.from') },
  { name: 'to', kind: 'time', label: () => t('filter.to') },
  { name: 'q', label: () => t('filter.q') },
  { name: 'severity', label: () => t('filter.severity'), placeholder: '1,2' },
  { name: 'sid', label: () => t('filter.sid') },
  { name: 'signature', label: () => t('filter.signature') },
  { name: 'category', label: () => t('filter.category') },
  { name: 'agent', label: () => t('filter.agent') },
  { name: 'src_ip', label: () => t('filter.src_ip'), placeholder: '10.0.0.0/8' },
  { name: 'dest_ip', label: () => t('filter.dest_ip'), placeholder: '192.168.1.0/24' },
  { name: 'port', label: () => t('filter.port'), type: 'number' },
  { name: 'src_port', label: () => t('filter.src_port'), type: 'number' },
  { name: 'dest_port', label: () => t('filter.dest_port'), type: 'number' },
  { name: 'proto', kind: 'select', options: PROTOS, label: () => t('filter.proto') },
  { name: 'app_proto', label: () => t('filter.app_proto'), placeholder: 'http' },
  { name: 'status', kind: 'select', options: STATUSES, optionName: statusName, label: () => t('filter.status') },
  { name: 'assignee', label: () => t('filter.assignee') },
];
const VIEW = ['group', 'window', 'limit'];

// The filter part of the URL (what selects alerts, not how they are shown).
function filterOf(params) {
  const f = new URLSearchParams();
  for (const { name } of FIELDS) {
    const v = params.get(name);
    if (v) f.set(name, v);
  }
  return f;
}

function fieldInput(field, params) {
  const id = 'f-' + field.name;
  const v = params.get(field.name) || '';
  let input;
  if (field.kind === 'time') {
    input = h('input', { id, name: field.name, type: 'datetime-local', value: toLocalInput(parseTime(v)) });
  } else if (field.kind === 'select') {
    input = h(
      'select',
      { id, name: field.name },
      h('option', { value: '' }, t('filter.any')),
      field.options.map((o) => h('option', { value: o, selected: o === v }, field.optionName ? field.optionName(o) : o)),
    );
  } else {
    input = h('input', { id, name: field.name, type: field.type || 'text', value: v, placeholder: field.placeholder });
  }
  return h('label', { for: id }, field.label(), input);
}

function readForm(form, keepView) {
  const out = new URLSearchParams();
  for (const field of FIELDS) {
    const el = form.querySelector('#f-' + field.name);
    let v = el.value.trim();
    if (!v) continue;
    if (field.kind === 'time') {
      const d = new Date(v);
      if (isNaN(d.getTime())) continue;
      v = isoSeconds(d);
    }
    out.set(field.name, v);
  }
  for (const k of VIEW) if (keepView.get(k)) out.set(k, keepView.get(k));
  return out;
}

export async function alertsPage(main, params) {
  const grouped = params.get('group') === '1';
  // Rows per page: ?limit=N in the URL (1..1000), else PAGE_SIZE.
  const asked = Number(params.get('limit'));
  const pageSize = asked >= 1 && asked <= 1000 ? Math.floor(asked) : PAGE_SIZE;
  const filter = filterOf(params);
  const state = { cursors: [null], page: 0, maxId: 0, total: 0, selected: new Set(), timer: null, loaded: false };

  const form = h(
    'form',
    {
      class: 'card',
      id: 'filters',
      onsubmit: (e) => {
        e.preventDefault();
        const q = readForm(form, params);
        navigate('/ui/alerts' + (q.toString() ? '?' + q : ''));
      },
    },
    h('div', { class: 'filters' }, FIELDS.map((f) => fieldInput(f, params))),
    h(
      'div',
      { class: 'toolbar' },
      h('button', { type: 'submit', id: 'apply-filter' }, t('filter.apply')),
      h('button', { type: 'button', onclick: () => navigate('/ui/alerts' + (grouped ? '?group=1' : '')) }, t('filter.clear')),
      quickRange('1h', 3600, () => t('range.1h')),
      quickRange('24h', 86400, () => t('range.24h')),
      quickRange('7d', 7 * 86400, () => t('range.7d')),
      h('span', { class: 'spacer' }),
      h(
        'label',
        null,
        h('input', {
          type: 'checkbox',
          id: 'group-toggle',
          checked: grouped,
          onchange: (e) => {
            const q = new URLSearchParams(params);
            if (e.target.checked) q.set('group', '1');
            else q.delete('group');
            q.delete('window');
            navigate('/ui/alerts?' + q);
          },
        }),
        ' ',
        t('alerts.group'),
      ),
      exportLink('csv', filter),
      exportLink('json', filter),
    ),
  );

  function quickRange(id, seconds, label) {
    return h(
      'button',
      {
        type: 'button',
        id: 'range-' + id,
        onclick: () => {
          const q = new URLSearchParams(params);
          q.set('from', isoSeconds(new Date(Date.now() - seconds * 1000)));
          q.delete('to');
          navigate('/ui/alerts?' + q);
        },
      },
      label(),
    );
  }

  const summary = h('span', { id: 'alerts-total', class: 'muted' });
  const newBar = h('button', { type: 'button', class: 'newbar hidden', id: 'new-alerts', onclick: () => load(0, true) });
  const prev = h('button', { type: 'button', id: 'page-prev', onclick: () => load(state.page - 1) }, t('page.prev'));
  const next = h('button', { type: 'button', id: 'page-next', onclick: () => load(state.page + 1) }, t('page.next'));
  const tableBox = h('div', { id: 'alerts-table' });
  const bulk = can('analyst') && !grouped ? bulkBar() : null;
  const msg = h('p', { class: 'error', id: 'alerts-error', role: 'alert' });

  main.append(
    h('h1', null, grouped ? t('alerts.title_grouped') : t('alerts.title')),
    form,
    bulk,
    h('div', { class: 'toolbar' }, summary, newBar, h('span', { class: 'spacer' }), prev, next),
    msg,
    tableBox,
  );

  function query(cursor, limit) {
    const q = new URLSearchParams(filter);
    if (grouped) {
      q.set('group', '1');
      if (params.get('window')) q.set('window', params.get('window'));
    }
    q.set('limit', String(limit || pageSize));
    if (cursor) q.set('cursor', cursor);
    return '/api/v1/alerts?' + q;
  }

  async function load(page, fresh) {
    msg.textContent = '';
    if (fresh) {
      state.cursors = [null];
      state.maxId = 0;
    }
    let data;
    try {
      data = await api('GET', query(state.cursors[page]));
    } catch (x) {
      if (x instanceof ApiError && x.status === 401) return;
      msg.textContent = t('error.load') + ' ' + ((x.body && (x.body.error + ': ' + (x.body.detail || ''))) || x.message);
      return;
    }
    state.page = page;
    state.cursors[page + 1] = data.next_cursor;
    state.cursors.length = page + 2;
    prev.disabled = page === 0;
    next.disabled = !data.next_cursor;
    newBar.classList.add('hidden');
    state.selected.clear();
    if (bulk) bulk.update();
    if (grouped) {
      summary.textContent = t('alerts.groups_shown', { n: fmtNumber(data.groups.length) });
      tableBox.replaceChildren(groupTable(data.groups, data.window));
      return;
    }
    for (const a of data.alerts) state.maxId = Math.max(state.maxId, a.id);
    state.loaded = true;
    state.total = data.total;
    summary.textContent = (data.total_exact ? t('alerts.total', { n: fmtNumber(data.total) }) : t('alerts.total_about', { n: fmtNumber(data.total) })) + ' · ' + t('page.number', { n: page + 1 });
    tableBox.replaceChildren(alertTable(data.alerts));
  }

  // Live updates: ask for the first page of the same filter and count what is
  // newer than anything shown; the table itself is left alone.
  async function poll() {
    if (document.hidden || grouped || !state.loaded) return;
    try {
      const data = await api('GET', query(null, 100));
      const n = data.alerts.filter((a) => a.id > state.maxId).length;
      if (n > 0) {
        newBar.textContent = t('alerts.new', { n: n >= 100 ? '100+' : fmtNumber(n) });
        newBar.classList.remove('hidden');
      }
    } catch (_) {
      /* the next poll tries again; a 401 went to the login */
    }
  }

  function alertTable(alerts) {
    const triage = can('analyst');
    const all = triage
      ? h('input', {
          type: 'checkbox',
          id: 'select-all',
          'aria-label': t('bulk.select_all'),
          onchange: (e) => {
            for (const box of tableBox.querySelectorAll('input.sel')) {
              box.checked = e.target.checked;
              const id = Number(box.dataset.id);
              if (box.checked) state.selected.add(id);
              else state.selected.delete(id);
            }
            bulk.update();
          },
        })
      : null;
    if (!alerts.length) return h('p', { class: 'muted', id: 'no-alerts' }, t('alerts.none'));
    return h(
      'table',
      { class: 'grid', id: 'alerts' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          triage ? h('th', null, all) : null,
          [t('alert.time'), t('alert.severity'), t('alert.signature'), t('alert.source'), t('alert.destination'), t('alert.app_proto'), t('alert.agent'), t('alert.status')].map((c) => h('th', null, c)),
        ),
      ),
      h(
        'tbody',
        null,
        alerts.map((a) => {
          const al = a.alert || {};
          return h(
            'tr',
            { 'data-id': a.id },
            triage
              ? h(
                  'td',
                  null,
                  h('input', {
                    type: 'checkbox',
                    class: 'sel',
                    'data-id': a.id,
                    'aria-label': t('bulk.select'),
                    onchange: (e) => {
                      if (e.target.checked) state.selected.add(a.id);
                      else state.selected.delete(a.id);
                      bulk.update();
                    },
                  }),
                )
              : null,
            h('td', null, fmtTime(a.timestamp)),
            h('td', null, sevBadge(al.severity)),
            h('td', { class: 'sig' }, link('/ui/alerts/' + a.id, null, al.signature || t('alert.no_signature'))),
            h('td', null, endpoint(a.src_ip, a.src_port)),
            h('td', null, endpoint(a.dest_ip, a.dest_port)),
            h('td', null, a.app_proto || ''),
            h('td', null, a.host || a.agent_id || ''),
            h('td', { class: 'st' }, statusBadge(a.status)),
          );
        }),
      ),
    );
  }

  function groupTable(groups, windowS) {
    if (!groups.length) return h('p', { class: 'muted', id: 'no-alerts' }, t('alerts.none'));
    return h(
      'table',
      { class: 'grid', id: 'groups' },
      h('thead', null, h('tr', null, [t('group.last_seen'), t('alert.severity'), t('alert.signature'), t('alert.source'), t('alert.destination'), t('group.count'), t('group.first_seen')].map((c) => h('th', null, c)))),
      h(
        'tbody',
        null,
        groups.map((g) => {
          const start = parseTime(g.window_start);
          const q = new URLSearchParams(filter);
          q.set('sid', String(g.sid));
          if (g.src_ip) q.set('src_ip', g.src_ip);
          if (g.dest_ip) q.set('dest_ip', g.dest_ip);
          if (start) {
            q.set('from', isoSeconds(start));
            q.set('to', isoSeconds(new Date(start.getTime() + windowS * 1000)));
          }
          return h(
            'tr',
            null,
            h('td', null, fmtTime(g.last_seen)),
            h('td', null, sevBadge(g.severity)),
            h('td', null, link('/ui/alerts/' + g.sample_id, null, g.signature || t('alert.no_signature'))),
            h('td', null, g.src_ip || ''),
            h('td', null, g.dest_ip || ''),
            h('td', null, link('/ui/alerts?' + q, null, fmtNumber(g.count))),
            h('td', null, fmtTime(g.first_seen)),
          );
        }),
      ),
    );
  }

  function bulkBar() {
    const status = h('select', { id: 'bulk-status' }, h('option', { value: '' }, t('bulk.keep_status')), STATUSES.map((s) => h('option', { value: s }, statusName(s))));
    const assignee = h('input', { id: 'bulk-assignee', placeholder: t('bulk.assignee') });
    const comment = h('input', { id: 'bulk-comment', placeholder: t('bulk.comment') });
    const count = h('span', { id: 'bulk-count', class: 'muted' });
    const result = h('span', { id: 'bulk-result', role: 'status' });
    const onSel = h('button', { type: 'button', id: 'bulk-apply', onclick: () => apply({ ids: [...state.selected] }) }, t('bulk.apply_selected'));
    const confirmAll = h('button', { type: 'button', id: 'bulk-confirm-filter', class: 'hidden', onclick: () => apply({ filter: Object.fromEntries(filter), all: true }) });
    const onFilter = h(
      'button',
      {
        type: 'button',
        id: 'bulk-filter',
        onclick: () => {
          confirmAll.textContent = t('bulk.confirm_filter', { n: fmtNumber(state.total) });
          confirmAll.classList.remove('hidden');
        },
      },
      t('bulk.apply_filter'),
    );
    async function apply(target) {
      const body = { ...target };
      if (status.value) body.status = status.value;
      if (assignee.value.trim()) body.assignee = assignee.value.trim();
      if (comment.value.trim()) body.comment = comment.value.trim();
      confirmAll.classList.add('hidden');
      if (!body.status && !body.assignee && !body.comment) {
        result.textContent = t('bulk.nothing');
        return;
      }
      try {
        const r = await api('POST', '/api/v1/alerts/triage', body);
        result.textContent = t('bulk.done', { n: fmtNumber(r.updated ?? 0) });
        comment.value = '';
        load(state.page);
      } catch (x) {
        result.textContent = t('bulk.failed') + ' ' + ((x.body && x.body.detail) || x.message);
      }
    }
    const bar = h('div', { class: 'card toolbar', id: 'bulk' }, h('strong', null, t('bulk.title')), count, status, assignee, comment, onSel, onFilter, confirmAll, result);
    bar.update = () => {
      count.textContent = t('bulk.selected', { n: fmtNumber(state.selected.size) });
      onSel.disabled = state.selected.size === 0;
    };
    bar.update();
    return bar;
  }

  await load(0, true);
  state.timer = setInterval(poll, POLL_MS);
  return () => clearInterval(state.timer);
}

function exportLink(format, filter) {
  const q = new URLSearchParams(filter);
  q.set('format', format);
  return h('a', { href: '/api/v1/alerts/export?' + q, download: 'alerts.' + format, id: 'export-' + format }, format === 'csv' ? t('export.csv') : t('export.json'));
}
