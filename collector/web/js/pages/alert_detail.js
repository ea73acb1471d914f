// One alert (GET /api/v1/alerts/ID): its main fields, the app-layer context
// (HTTP request line and headers, DNS query, TLS SNI and certificate), the
// payload as hex and printable text, every field as stored, the other alerts
// of its flow, its triage (status, assignee, comment, history; analyst and
// admin may change it), "suppress this" (admin) and the rule behind it
// (text, classtype, references as links; js/rule_text.js).
import { api } from '../api.js';
import { ruleForSid } from '../rule_text.js';
import { can, link, refresh } from '../app.js';
import { h } from '../dom.js';
import { fmtNumber, fmtTime, t } from '../i18n.js';
import { endpoint, sevBadge, statusBadge, statusName, STATUSES } from '../format.js';

function kv(rows) {
  return h(
    'table',
    { class: 'grid kv' },
    h(
      'tbody',
      null,
      rows.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))),
    ),
  );
}

// base64 -> bytes; null when it is not base64.
function decodeBase64(s) {
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch (_) {
    return null;
  }
}

// "0000  47 45 54 20 ...  GET ..." lines, 16 bytes each.
export function hexDump(bytes) {
  const lines = [];
  for (let off = 0; off < bytes.length; off += 16) {
    const row = bytes.subarray(off, off + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(off.toString(16).padStart(4, '0') + '  ' + hex.padEnd(47, ' ') + '  ' + text);
  }
  return lines.join('\n');
}

function appLayer(a, events) {
  const parts = [];
  const http = a.http || events.find((e) => e.http)?.http;
  if (http) {
    const line = [http.http_method, http.url, http.protocol].filter(Boolean).join(' ');
    const headers = (http.request_headers || []).map((x) => [x.name, x.value]);
    parts.push(
      h('h3', null, t('detail.http')),
      kv([
        [t('detail.request_line'), line],
        [t('detail.host'), http.hostname],
        [t('detail.user_agent'), http.http_user_agent],
        [t('detail.http_status'), http.status],
        [t('detail.content_type'), http.http_content_type],
      ]),
      headers.length ? h('h4', null, t('detail.request_headers')) : null,
      headers.length ? kv(headers) : null,
    );
  }
  const dns = a.dns || events.find((e) => e.dns)?.dns;
  if (dns) {
    // The agent's alerts carry dns.query (a list, as Suricata 7 writes them); older and
    // dns events carry dns.queries or one rrname.
    const list = Array.isArray(dns.query) ? dns.query : dns.queries;
    const queries = list || (dns.rrname ? [{ rrname: dns.rrname, rrtype: dns.rrtype }] : []);
    parts.push(h('h3', null, t('detail.dns')), kv(queries.map((q) => [t('detail.dns_query'), [q.rrname, q.rrtype].filter(Boolean).join(' ')])));
  }
  const tls = a.tls || events.find((e) => e.tls)?.tls;
  if (tls) {
    parts.push(
      h('h3', null, t('detail.tls')),
      kv([
        [t('detail.sni'), tls.sni],
        [t('detail.tls_version'), tls.version],
        [t('detail.cert_subject'), tls.subject],
        [t('detail.cert_issuer'), tls.issuerdn],
        [t('detail.cert_fingerprint'), tls.fingerprint],
        [t('detail.ja3'), tls.ja3 && tls.ja3.hash],
      ]),
    );
  }
  if (!parts.length) parts.push(h('p', { class: 'muted' }, t('detail.no_app')));
  return parts;
}

function payload(a) {
  const parts = [];
  const bytes = a.payload ? decodeBase64(a.payload) : null;
  if (bytes) parts.push(h('h4', null, t('detail.payload_hex', { n: fmtNumber(bytes.length) })), h('pre', { class: 'hex', id: 'payload-hex' }, hexDump(bytes)));
  if (a.payload_printable) parts.push(h('h4', null, t('detail.payload_printable')), h('pre', { class: 'hex', id: 'payload-printable' }, a.payload_printable));
  if (!parts.length) parts.push(h('p', { class: 'muted' }, t('detail.no_payload')));
  return parts;
}

function triageCard(id, tri) {
  const history = tri && tri.history ? tri.history : [];
  const comments = tri && tri.comments ? tri.comments : [];
  const card = h('div', { class: 'card', id: 'triage' }, h('h2', null, t('detail.triage')));
  card.append(kv([
    [t('alert.status'), statusBadge((tri && tri.status) || 'new')],
    [t('triage.assignee'), (tri && tri.assignee) || t('triage.nobody')],
  ]));
  if (can('analyst')) {
    const status = h('select', { id: 'triage-status' }, STATUSES.map((s) => h('option', { value: s, selected: s === ((tri && tri.status) || 'new') }, statusName(s))));
    const assignee = h('input', { id: 'triage-assignee', value: (tri && tri.assignee) || '', placeholder: t('triage.assignee') });
    const comment = h('textarea', { id: 'triage-comment', rows: 2, placeholder: t('triage.comment') });
    const result = h('span', { id: 'triage-result', role: 'status' });
    card.append(
      h(
        'form',
        {
          class: 'toolbar',
          id: 'triage-form',
          onsubmit: async (e) => {
            e.preventDefault();
            const body = {};
            if (status.value !== ((tri && tri.status) || 'new')) body.status = status.value;
            if (assignee.value.trim() !== ((tri && tri.assignee) || '')) body.assignee = assignee.value.trim();
            if (comment.value.trim()) body.comment = comment.value.trim();
            if (!Object.keys(body).length) {
              result.textContent = t('bulk.nothing');
              return;
            }
            try {
              await api('PATCH', '/api/v1/alerts/' + id, body);
              refresh();
            } catch (x) {
              result.textContent = t('bulk.failed') + ' ' + ((x.body && x.body.detail) || x.message);
            }
          },
        },
        h('label', { for: 'triage-status' }, t('alert.status')),
        status,
        assignee,
        comment,
        h('button', { type: 'submit', id: 'triage-save' }, t('triage.save')),
        result,
      ),
    );
  }
  card.append(h('h3', null, t('triage.history')));
  if (!history.length && !comments.length) card.append(h('p', { class: 'muted' }, t('triage.no_history')));
  const items = [
    ...history.map((e) => ({ ts: e.ts, actor: e.actor, text: t('triage.changed', { field: e.field === 'status' ? t('alert.status') : t('triage.assignee'), old: e.field === 'status' ? statusName(e.old) : e.old || '-', new: e.field === 'status' ? statusName(e.new) : e.new || '-' }) })),
    ...comments.map((c) => ({ ts: c.ts, actor: c.actor, text: t('triage.commented', { text: c.text }) })),
  ].sort((a, b) => b.ts - a.ts);
  if (items.length) card.append(h('ul', { id: 'triage-history' }, items.map((i) => h('li', null, fmtTime(i.ts), ' · ', i.actor || '', ': ', i.text))));
  return card;
}

function suppressCard(a) {
  const al = a.alert || {};
  const track = h(
    'select',
    { id: 'sup-track' },
    h('option', { value: 'none' }, t('suppress.signature')),
    a.src_ip ? h('option', { value: 'by_src' }, t('suppress.by_src', { ip: a.src_ip })) : null,
    a.dest_ip ? h('option', { value: 'by_dst' }, t('suppress.by_dst', { ip: a.dest_ip })) : null,
  );
  const reason = h('input', { id: 'sup-reason', placeholder: t('suppress.reason'), required: true });
  const expiry = h(
    'select',
    { id: 'sup-expiry' },
    h('option', { value: '3600' }, t('suppress.for_1h')),
    h('option', { value: '86400', selected: true }, t('suppress.for_24h')),
    h('option', { value: '604800' }, t('suppress.for_7d')),
    h('option', { value: '2592000' }, t('suppress.for_30d')),
    h('option', { value: 'never' }, t('suppress.never')),
  );
  const result = h('span', { id: 'sup-result', role: 'status' });
  return h(
    'form',
    {
      class: 'card toolbar',
      id: 'suppress',
      onsubmit: async (e) => {
        e.preventDefault();
        const body = { sid: al.signature_id, gid: al.gid || 1, track: track.value, reason: reason.value.trim() };
        if (track.value === 'by_src') body.cidr = a.src_ip;
        if (track.value === 'by_dst') body.cidr = a.dest_ip;
        body.expires_at = expiry.value === 'never' ? 'never' : Math.floor(Date.now() / 1000) + Number(expiry.value);
        try {
          const r = await api('POST', '/api/v1/suppressions', body);
          result.textContent = t('suppress.done', { id: r && r.id !== undefined ? r.id : '' });
        } catch (x) {
          result.textContent = t('bulk.failed') + ' ' + ((x.body && x.body.detail) || x.message);
        }
      },
    },
    h('strong', null, t('suppress.title')),
    track,
    reason,
    expiry,
    h('button', { type: 'submit', id: 'sup-save' }, t('suppress.save')),
    result,
  );
}

export async function alertDetailPage(main, id) {
  const d = await api('GET', '/api/v1/alerts/' + id);
  const a = d.alert;
  const al = a.alert || {};
  const events = d.flow_events || [];
  main.append(
    h('p', null, link('/ui/alerts', { id: 'back' }, t('detail.back'))),
    h('h1', { id: 'detail-title' }, sevBadge(al.severity), ' ', al.signature || t('alert.no_signature')),
    h(
      'div',
      { class: 'cols' },
      h(
        'div',
        { class: 'card', id: 'detail-fields' },
        h('h2', null, t('detail.summary')),
        kv([
          [t('detail.id'), String(a.id)],
          [t('alert.time'), fmtTime(a.timestamp)],
          [t('alert.signature'), al.signature],
          [t('detail.sid'), al.signature_id !== undefined ? (al.gid || 1) + ':' + al.signature_id + ':' + (al.rev || 0) : ''],
          [t('detail.category'), al.category],
          [t('detail.action'), al.action],
          [t('alert.source'), endpoint(a.src_ip, a.src_port)],
          [t('alert.destination'), endpoint(a.dest_ip, a.dest_port)],
          [t('detail.proto'), a.proto],
          [t('alert.app_proto'), a.app_proto],
          [t('alert.agent'), [a.host, a.agent_id].filter(Boolean).join(' · ')],
          [t('detail.flow_id'), a.flow_id !== undefined ? String(a.flow_id) : ''],
          [t('detail.community_id'), a.community_id],
        ]),
        h('h3', null, t('detail.app_layer')),
        appLayer(a, events),
      ),
      h('div', null, triageCard(a.id, d.triage), can('admin') ? suppressCard(a) : null),
    ),
    h('div', { class: 'card' }, h('h2', null, t('detail.payload')), payload(a)),
    h(
      'div',
      { class: 'card' },
      h('h2', null, t('detail.flow_alerts')),
      (d.flow_alerts || []).length
        ? h('ul', { id: 'flow-alerts' }, d.flow_alerts.map((f) => h('li', null, fmtTime(f.timestamp), ' · ', link('/ui/alerts/' + f.id, null, (f.alert && f.alert.signature) || t('alert.no_signature')))))
        : h('p', { class: 'muted' }, t('detail.no_flow_alerts')),
      h('p', null, link('/ui/alerts?src_ip=' + encodeURIComponent(a.src_ip || ''), { id: 'same-source' }, t('detail.same_source'))),
    ),
    ruleCard(al.signature_id),
    h('div', { class: 'card' }, h('h2', null, t('detail.all_fields')), h('pre', { class: 'json', id: 'detail-json' }, JSON.stringify(a, null, 2))),
  );
}

// Filled when the rule set has been read (it may be large); the rest of the
// page does not wait for it.
function ruleCard(sid) {
  const card = h('div', { class: 'card', id: 'detail-rule' }, h('h2', null, t('detail.rule')), h('p', { class: 'muted' }, t('detail.rule_loading')));
  if (sid === undefined) {
    card.lastChild.textContent = t('detail.no_rule');
    return card;
  }
  ruleForSid(sid).then(
    (r) => {
      if (!r) {
        card.lastChild.replaceWith(h('p', { class: 'muted', id: 'rule-none' }, t('detail.no_rule')));
        return;
      }
      card.lastChild.replaceWith(
        h('pre', { class: 'json', id: 'rule-text' }, r.text),
        kv([
          [t('detail.classtype'), r.classtype],
          [t('rules.version'), r.version],
        ]),
        r.refs.length
          ? h('ul', { id: 'rule-refs' }, r.refs.map((x) => h('li', null, x.href ? h('a', { href: x.href, rel: 'noopener noreferrer', target: '_blank' }, x.label) : x.label)))
          : null,
      );
    },
    () => card.lastChild.replaceWith(h('p', { class: 'muted' }, t('detail.no_rule'))),
  );
  return card;
}
