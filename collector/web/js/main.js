// The app shell: the login, the header (pages, user, language, logout) and
// the router over /ui/dashboard, /ui/alerts, /ui/alerts/ID, /ui/agents,
// /ui/rules, /ui/users, /ui/audit and /ui/tokens. A page is a
// function (container, params) that renders into the container and may
// return a cleanup function (stop polling) called when the page is left.
import { api, ApiError, onUnauthorized, setCsrf } from './api.js';
import { can, link, navigate, session, setRenderer } from './app.js';
import { clear, h } from './dom.js';
import { roleName } from './format.js';
import { getLang, LANGS, setLang, t } from './i18n.js';
import { alertDetailPage } from './pages/alert_detail.js';
import { alertsPage } from './pages/alerts.js';
import { agentsPage } from './pages/agents.js';
import { dashboardPage } from './pages/dashboard.js';
import { rulesPage } from './pages/rules.js';
import { auditPage, tokensPage, usersPage } from './pages/users.js';

const root = document.getElementById('app');
let cleanup = null;
let generation = 0;

const LANG_NAMES = { en: () => t('lang.en'), vi: () => t('lang.vi') };

function langSwitch() {
  return h(
    'select',
    {
      id: 'lang',
      'aria-label': t('lang.label'),
      onchange: async (e) => {
        setLang(e.target.value);
        // Logged in: remembered for the user on the server, so any browser they log in from follows.
        if (session.user) await api('PATCH', '/api/v1/users/me', { language: getLang() }).catch(() => {});
        render();
      },
    },
    LANGS.map((l) => h('option', { value: l, selected: l === getLang() }, LANG_NAMES[l]())),
  );
}

function loginPage() {
  const user = h('input', { id: 'login-user', name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', {
    id: 'login-pass',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const err = h('p', { class: 'error', id: 'login-error', role: 'alert' });
  const form = h(
    'form',
    {
      class: 'card login',
      onsubmit: async (e) => {
        e.preventDefault();
        err.textContent = '';
        try {
          const s = await api('POST', '/api/v1/session', { username: user.value, password: pass.value }, {
            quiet401: true,
          });
          session.user = s.user;
          session.role = s.role;
          if (s.language) setLang(s.language);
          setCsrf(s.csrf_token);
          render();
        } catch (x) {
          const st = x instanceof ApiError ? x.status : 0;
          err.textContent =
            st === 401
              ? t('login.wrong')
              : st === 429
                ? t('login.throttled')
                : st === 403
                  ? t('login.disabled')
                  : t('error.network');
        }
      },
    },
    h('h1', null, t('login.title')),
    h('label', { for: 'login-user' }, t('login.username')),
    user,
    h('label', { for: 'login-pass' }, t('login.password')),
    pass,
    err,
    h('div', { class: 'toolbar' }, h('button', { type: 'submit', id: 'login-submit' }, t('login.submit')), h('span', { class: 'spacer' }), langSwitch()),
  );
  clear(root);
  root.append(form);
  user.focus();
}

function header(active) {
  const nav = (href, key, label) => link(href, { class: active === key ? 'active' : null, id: 'nav-' + key }, label);
  return h(
    'header',
    { class: 'top' },
    h('span', { class: 'brand' }, t('app.title')),
    nav('/ui/dashboard', 'dashboard', t('nav.dashboard')),
    nav('/ui/alerts', 'alerts', t('nav.alerts')),
    nav('/ui/agents', 'agents', t('nav.agents')),
    nav('/ui/rules', 'rules', t('nav.rules')),
    can('admin') ? nav('/ui/users', 'users', t('nav.users')) : null,
    can('admin') ? nav('/ui/audit', 'audit', t('nav.audit')) : null,
    nav('/ui/tokens', 'tokens', t('nav.tokens')),
    h('span', { class: 'spacer' }),
    h('span', { id: 'whoami' }, t('header.user', { user: session.user || '', role: roleName(session.role) })),
    langSwitch(),
    h(
      'button',
      {
        id: 'logout',
        onclick: async () => {
          try {
            await api('DELETE', '/api/v1/session');
          } catch (_) {
            /* gone already */
          }
          session.user = session.role = null;
          setCsrf(null);
          navigate('/ui/alerts', { replace: true });
        },
      },
      t('header.logout'),
    ),
  );
}

async function render() {
  const mine = ++generation;
  if (cleanup) {
    cleanup();
    cleanup = null;
  }
  document.documentElement.lang = getLang();
  document.title = t('app.title');
  if (!session.user) {
    try {
      const s = await api('GET', '/api/v1/session', undefined, { quiet401: true });
      session.user = s.user || s.actor;
      session.role = s.role;
      if (s.language && s.language !== getLang()) {
        setLang(s.language);
        document.documentElement.lang = getLang();
        document.title = t('app.title');
      }
      setCsrf(s.csrf_token);
    } catch (_) {
      if (mine === generation) loginPage();
      return;
    }
  }
  if (mine !== generation) return;
  const path = location.pathname.replace(/\/+$/, '');
  const params = new URLSearchParams(location.search);
  let page = dashboardPage;
  let active = 'dashboard';
  let arg = params;
  const m = path.match(/^\/ui\/alerts\/(\d+)$/);
  if (m) {
    page = alertDetailPage;
    active = 'alerts';
    arg = m[1];
  } else if (path === '/ui/alerts') {
    page = alertsPage;
    active = 'alerts';
  } else if (PAGES[path]) {
    [page, active] = PAGES[path];
  } else if (path !== '/ui/dashboard' && path !== '' && path !== '/ui') {
    page = notFound;
    active = '';
  }
  const main = h('main');
  clear(root);
  root.append(header(active), main);
  try {
    const c = await page(main, arg);
    if (mine === generation) cleanup = c || null;
    else if (c) c();
  } catch (x) {
    if (x instanceof ApiError && x.status === 401) return;
    main.append(h('p', { class: 'error' }, t('error.load'), ' ', String(x.message || x)));
  }
}

// The pages without a variable part: path -> [page, its header item].
const PAGES = {
  '/ui/agents': [agentsPage, 'agents'],
  '/ui/rules': [rulesPage, 'rules'],
  '/ui/users': [usersPage, 'users'],
  '/ui/audit': [auditPage, 'audit'],
  '/ui/tokens': [tokensPage, 'tokens'],
};

function notFound(main) {
  main.append(h('p', null, t('error.not_found')));
}

onUnauthorized(() => {
  if (!session.user) return;
  session.user = session.role = null;
  setCsrf(null);
  render();
});
setRenderer(render);
window.addEventListener('popstate', render);
render();
