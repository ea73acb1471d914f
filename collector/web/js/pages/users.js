// People: the users (admin: add, change role, disable/enable, reset a
// password; GET/POST /api/v1/users, PATCH /api/v1/users/NAME), the current
// user's own API tokens (anyone with a user: create (the secret shown once),
// list, revoke; /api/v1/users/me/tokens) and the audit log (admin,
// GET /api/v1/audit, newest first, keyset paging by before_id; the filter,
// the page and ?limit=N are in the URL).
import { api } from '../api.js';
import { can, link, navigate, session } from '../app.js';
import { h } from '../dom.js';
import { fmtNumber, t } from '../i18n.js';
import { copyText, refusal, roleName, ROLES, when } from '../format.js';

function roleSelect(id, value, onchange) {
  return h(
    'select',
    { id, class: id ? null : 'u-role', 'aria-label': t('users.role'), onchange },
    ROLES.map((r) => h('option', { value: r, selected: r === value }, roleName(r))),
  );
}

export async function usersPage(main) {
  main.append(h('h1', null, t('nav.users')));
  if (!can('admin')) {
    main.append(h('p', { class: 'muted' }, t('error.admin_only')));
    return;
  }
  const result = h('p', { id: 'users-result', role: 'status' });
  const show = (text, bad) => {
    result.textContent = text;
    result.className = bad ? 'error' : 'ok';
  };
  const name = h('input', { id: 'nu-name', required: true, autocomplete: 'off' });
  const role = roleSelect('nu-role', 'analyst');
  const pass = h('input', { id: 'nu-pass', type: 'password', required: true, autocomplete: 'new-password' });
  main.append(
    h(
      'form',
      {
        class: 'card toolbar',
        id: 'user-add',
        onsubmit: async (e) => {
          e.preventDefault();
          try {
            const u = await api('POST', '/api/v1/users', { name: name.value.trim(), role: role.value, password: pass.value });
            name.value = pass.value = '';
            await load();
            show(t('users.added', { user: u.name }), false);
          } catch (x) {
            show(refusal(x), true);
          }
        },
      },
      h('strong', null, t('users.add')),
      h('label', { for: 'nu-name' }, t('users.name'), ' ', name),
      h('label', { for: 'nu-role' }, t('users.role'), ' ', role),
      h('label', { for: 'nu-pass' }, t('users.password'), ' ', pass),
      h('button', { type: 'submit', id: 'nu-submit' }, t('users.add_submit')),
    ),
    result,
  );
  const list = h('div');
  main.append(list);
  const patch = async (u, body, done) => {
    try {
      await api('PATCH', '/api/v1/users/' + encodeURIComponent(u), body);
      await load();
      show(done, false);
    } catch (x) {
      show(refusal(x), true);
    }
  };
  async function load() {
    const { users } = await api('GET', '/api/v1/users');
    list.replaceChildren(
      h(
        'table',
        { class: 'grid', id: 'users' },
        h('thead', null, h('tr', null, [t('users.name'), t('users.role'), t('users.state'), t('users.created'), t('users.updated'), t('users.actions')].map((c) => h('th', null, c)))),
        h(
          'tbody',
          null,
          users.map((u) => {
            const self = u.name === session.user;
            const newPass = h('input', { type: 'password', class: 'u-pass', autocomplete: 'new-password', 'aria-label': t('users.new_password'), placeholder: t('users.new_password') });
            return h(
              'tr',
              { 'data-name': u.name },
              h('td', { class: 'u-name' }, u.name, self ? ' ' + t('users.you') : ''),
              h('td', null, self ? roleName(u.role) : roleSelect(null, u.role, (e) => patch(u.name, { role: e.target.value }, t('users.role_changed', { user: u.name })))),
              h('td', { class: u.disabled ? 'u-state offline' : 'u-state online' }, u.disabled ? t('users.disabled') : t('users.enabled')),
              h('td', null, when(u.created_at)),
              h('td', null, when(u.updated_at)),
              h(
                'td',
                null,
                h(
                  'div',
                  { class: 'toolbar' },
                  self
                    ? null
                    : h(
                        'button',
                        { class: 'u-toggle', onclick: () => patch(u.name, { disabled: !u.disabled }, u.disabled ? t('users.enabled_done', { user: u.name }) : t('users.disabled_done', { user: u.name })) },
                        u.disabled ? t('users.enable') : t('users.disable'),
                      ),
                  self ? null : newPass,
                  self
                    ? null
                    : h(
                        'button',
                        {
                          class: 'u-pass-set',
                          onclick: () => {
                            if (newPass.value) patch(u.name, { password: newPass.value }, t('users.password_reset', { user: u.name }));
                          },
                        },
                        t('users.reset_password'),
                      ),
                ),
              ),
            );
          }),
        ),
      ),
    );
  }
  await load();
}

const EXPIRIES = [
  ['', () => t('tokens.never')],
  ['2592000', () => t('tokens.for_30d')],
  ['7776000', () => t('tokens.for_90d')],
  ['31536000', () => t('tokens.for_365d')],
];

export async function tokensPage(main) {
  main.append(h('h1', null, t('tokens.title')), h('p', { class: 'muted' }, t('tokens.explain')));
  const result = h('div', { id: 'tok-result', role: 'status' });
  const name = h('input', { id: 'tok-name', required: true, maxlength: '100', autocomplete: 'off' });
  const expiry = h('select', { id: 'tok-expiry' }, EXPIRIES.map(([v, l]) => h('option', { value: v }, l())));
  const list = h('div');
  async function load() {
    const { tokens } = await api('GET', '/api/v1/users/me/tokens');
    list.replaceChildren(
      tokens.length
        ? h(
            'table',
            { class: 'grid', id: 'tokens' },
            h('thead', null, h('tr', null, [t('tokens.name'), t('tokens.id'), t('tokens.created'), t('tokens.expires'), t('tokens.last_used'), t('tokens.state'), ''].map((c) => h('th', null, c)))),
            h(
              'tbody',
              null,
              tokens.map((k) =>
                h(
                  'tr',
                  { 'data-id': k.id },
                  h('td', { class: 'tok-name' }, k.name),
                  h('td', null, h('code', null, k.id)),
                  h('td', null, when(k.created_at)),
                  h('td', null, k.expires_at ? when(k.expires_at) : t('tokens.never')),
                  h('td', null, when(k.last_used)),
                  h('td', { class: 'tok-state' }, k.revoked ? t('tokens.revoked') : k.expires_at && k.expires_at * 1000 < Date.now() ? t('tokens.expired') : t('tokens.active')),
                  h(
                    'td',
                    null,
                    k.revoked
                      ? null
                      : h(
                          'button',
                          {
                            class: 'tok-revoke',
                            onclick: async () => {
                              try {
                                await api('DELETE', '/api/v1/users/me/tokens/' + encodeURIComponent(k.id));
                                result.replaceChildren(h('p', { class: 'ok' }, t('tokens.revoked_done', { name: k.name })));
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
        : h('p', { class: 'muted', id: 'tokens-none' }, t('tokens.none')),
    );
  }
  main.append(
    h(
      'form',
      {
        class: 'card toolbar',
        id: 'tok-create',
        onsubmit: async (e) => {
          e.preventDefault();
          const body = { name: name.value.trim() };
          if (expiry.value) body.expires_in_s = Number(expiry.value);
          try {
            const k = await api('POST', '/api/v1/users/me/tokens', body);
            const secret = h('pre', { class: 'secret', id: 'tok-secret' }, k.token);
            result.replaceChildren(
              h(
                'div',
                { class: 'card' },
                h('p', null, t('tokens.shown_once')),
                secret,
                h('button', { type: 'button', id: 'tok-copy', onclick: () => copyText(k.token, result) }, t('common.copy')),
              ),
            );
            name.value = '';
            await load();
          } catch (x) {
            result.replaceChildren(h('p', { class: 'error' }, refusal(x)));
          }
        },
      },
      h('label', { for: 'tok-name' }, t('tokens.name'), ' ', name),
      h('label', { for: 'tok-expiry' }, t('tokens.expires'), ' ', expiry),
      h('button', { type: 'submit', id: 'tok-submit' }, t('tokens.create')),
    ),
    result,
    list,
  );
  await load();
}

const AUDIT_PAGE = 50;

export async function auditPage(main, params) {
  main.append(h('h1', null, t('nav.audit')));
  if (!can('admin')) {
    main.append(h('p', { class: 'muted' }, t('error.admin_only')));
    return;
  }
  const actor = h('input', { id: 'au-actor', value: params.get('actor') || '' });
  const action = h('input', { id: 'au-action', value: params.get('action') || '', placeholder: 'user.add' });
  const filterUrl = (extra) => {
    const q = new URLSearchParams();
    for (const k of ['actor', 'action', 'limit']) if (params.get(k)) q.set(k, params.get(k));
    for (const [k, v] of Object.entries(extra || {})) q.set(k, v);
    return '/ui/audit' + (q.toString() ? '?' + q : '');
  };
  main.append(
    h(
      'form',
      {
        class: 'card toolbar',
        id: 'audit-filter',
        onsubmit: (e) => {
          e.preventDefault();
          const q = new URLSearchParams();
          if (params.get('limit')) q.set('limit', params.get('limit'));
          if (actor.value.trim()) q.set('actor', actor.value.trim());
          if (action.value.trim()) q.set('action', action.value.trim());
          navigate('/ui/audit' + (q.toString() ? '?' + q : ''));
        },
      },
      h('label', { for: 'au-actor' }, t('audit.actor'), ' ', actor),
      h('label', { for: 'au-action' }, t('audit.action'), ' ', action),
      h('button', { type: 'submit', id: 'au-apply' }, t('filter.apply')),
      h('button', { type: 'button', onclick: () => navigate('/ui/audit') }, t('filter.clear')),
    ),
  );
  // Entries per page: ?limit=N in the URL (1..1000), else AUDIT_PAGE.
  const asked = Number(params.get('limit'));
  const limit = asked >= 1 && asked <= 1000 ? Math.floor(asked) : AUDIT_PAGE;
  const q = new URLSearchParams({ limit: String(limit) });
  for (const k of ['actor', 'action', 'before_id']) if (params.get(k)) q.set(k, params.get(k));
  const { entries, next_before_id: next } = await api('GET', '/api/v1/audit?' + q);
  main.append(
    entries.length
      ? h(
          'table',
          { class: 'grid', id: 'audit' },
          h('thead', null, h('tr', null, [t('alert.time'), t('audit.actor'), t('audit.action'), t('audit.target'), t('audit.peer'), t('audit.detail')].map((c) => h('th', null, c)))),
          h(
            'tbody',
            null,
            entries.map((e) =>
              h(
                'tr',
                { 'data-id': String(e.id) },
                h('td', null, when(e.ts)),
                h('td', { class: 'au-actor' }, e.actor),
                h('td', { class: 'au-action' }, h('code', null, e.action)),
                h('td', { class: 'au-target' }, e.target),
                h('td', null, e.peer),
                h('td', { class: 'au-detail' }, e.detail === null || e.detail === undefined ? '' : h('code', null, JSON.stringify(e.detail))),
              ),
            ),
          ),
        )
      : h('p', { class: 'muted' }, t('audit.none')),
    h(
      'div',
      { class: 'toolbar' },
      params.get('before_id') ? link(filterUrl(), { id: 'audit-newest' }, t('audit.newest')) : null,
      h('span', { class: 'spacer' }),
      h('span', { class: 'muted' }, t('audit.shown', { n: fmtNumber(entries.length) })),
      h('button', { id: 'audit-older', disabled: !next, onclick: () => navigate(filterUrl({ before_id: String(next) })) }, t('page.next')),
    ),
  );
}
