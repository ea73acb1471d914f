// The web UI in headless chromium (run by tests/e2e/web_ui_test.sh, which
// starts the collector, makes the users boss/admin, ana/analyst, vic/viewer and
// ingests the alerts). Proves, in order:
//  - a wrong password shows an error; the analyst logs in;
//  - the list shows every ingested alert (and how long the first rows took);
//  - a filter narrows the list, lives in the URL and survives a reload;
//  - the detail page shows the fields, the app-layer context and the payload;
//  - the alerts a real agent sent from a capture (web_capture.py: HTML and
//    script in the HTTP URI, User-Agent, DNS name, payload and the rule
//    messages) are in the list and their details, all as text;
//  - the analyst triages one alert and two in bulk; the API reports the new status;
//  - a new alert is announced ("1 new") without the table moving;
//  - the Vietnamese switch changes the strings and is remembered: across a
//    reload, and for the user on the server (a fresh browser is Vietnamese
//    once they log in; the change is audited); before any choice a browser
//    whose language is Vietnamese shows the login in Vietnamese;
//  - the viewer sees no triage control and the API refuses its triage;
//  - a 401 from any call (the session ended elsewhere) brings back the login;
//  - the admin adds a suppression; the dashboard's total equals the API's;
//    its agents card links to the agents page;
//  - the hostile alert's strings show as text everywhere: window.__xss stays
//    undefined, no dialog, no page error, no CSP violation;
//  - users (admin): a user added in the page logs in; a role change and a
//    disable reach the API; the disabled user's next click shows the login and
//    their login is refused; enabled again with a reset password they log in;
//  - an API token (its name hostile) is shown once, works as Bearer, and no
//    longer after its revoke in the page;
//  - the audit log shows those changes with their author, filtered by actor,
//    and pages by before_id (held in the URL);
//  - agents: the enrolled agent online with its interfaces, packets/s (equal
//    to what its heartbeats give), drops, spool depth, alerts/s and chart; an
//    enrolment token created in the page shows the enrol command (the copy
//    button puts it on the clipboard) and enrols an
//    agent (hostile host name, shown as text); a revoked token enrols none;
//    the address of an agent's last heartbeat (else of its enrolment);
//    the analyst sees no revoke and the API refuses theirs; the admin revokes;
//  - rules: the suppression with its expiry; where the collector has the
//    rule-set routes, an upload's errors per line, the rule text as text, a
//    signature disabled and enabled again through the page, and the alert
//    detail showing its rule, classification and references as links;
//  - the viewer sees no rule, suppression or user control, and the API
//    refuses their rule change;
//  - every new page in Vietnamese has no English string left;
//  - every UI response carries the CSP and the other headers.
// Screenshots of each page in both languages go to --shots.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const { chromium } = await import(pathToFileURL(join(args.modules, 'playwright-core', 'index.mjs')).href);
const BASE = args.url;
const TOTAL = Number(args.total);
// Of TOTAL, the real agent's alerts from the capture, two days old: outside the dashboard's last 24 hours.
const PCAP = Number(args.pcap);
const RECENT = TOTAL - PCAP;
const PCAP_ALERTS = {
  2100701: ['VIGIL PCAP <script>window.__xss=1</script> in URI', ['GET /"><script>window.__xss=1</script> HTTP/1.1', '<img src=x onerror=window.__xss=1>']],
  2100702: ['VIGIL PCAP <svg onload=window.__xss=1> in user agent', ['GET /"><script>window.__xss=1</script> HTTP/1.1', '<img src=x onerror=window.__xss=1>']],
  2100703: ['VIGIL PCAP <b onmouseover=window.__xss=1>DNS</b>', ['<svg onload=window.__xss=1>.evil.example']],
  2100704: ['VIGIL PCAP <iframe src=javascript:window.__xss=1> payload', []],
};
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const HOSTILE_SIG = '<img src=x onerror=window.__xss=1>';
const en = (await import(pathToFileURL(join(args.src, 'collector/web/i18n/en.js')).href)).default;
const vi = (await import(pathToFileURL(join(args.src, 'collector/web/i18n/vi.js')).href)).default;
// English strings that Vietnamese says differently, without their {placeholders}' parts.
const ENGLISH_ONLY = Object.keys(en)
  .filter((k) => en[k] !== vi[k] && !en[k].includes('{'))
  .map((k) => en[k]);

const problems = [];
let uiResponses = 0;
function check(cond, what) {
  if (!cond) throw new Error(what);
}

const browser = await chromium.launch({ executablePath: args.chromium, args: ['--no-sandbox'] });
try {
  async function session(lang) {
    const ctx = await browser.newContext({ ignoreHTTPSErrors: true, locale: lang === 'vi' ? 'vi-VN' : 'en-US' });
    // Runs before the page's own code (and outside its CSP): records violations.
    await ctx.addInitScript(() => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
    });
    const page = await ctx.newPage();
    page.setDefaultTimeout(10000);
    page.on('dialog', (d) => {
      problems.push('a dialog opened: ' + d.message());
      d.dismiss();
    });
    page.on('pageerror', (e) => problems.push('page error: ' + e.message));
    page.on('console', (m) => {
      // A refused fetch (401 before login, the wrong password) is logged by the browser itself.
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push('console error: ' + m.text());
    });
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (path !== '/' && !path.startsWith('/ui')) return;
      uiResponses++;
      const hd = r.headers();
      if (hd['content-security-policy'] !== CSP) problems.push(path + ': CSP is ' + hd['content-security-policy']);
      if (hd['x-content-type-options'] !== 'nosniff') problems.push(path + ': no nosniff');
      if (hd['referrer-policy'] !== 'no-referrer') problems.push(path + ': no Referrer-Policy');
      if (hd['x-frame-options'] !== 'DENY') problems.push(path + ': no X-Frame-Options');
    });
    return { ctx, page };
  }

  async function safe(page, where) {
    const r = await page.evaluate(() => ({
      xss: window.__xss,
      csp: window.__csp,
      imgs: document.querySelectorAll('img').length,
      scripts: document.scripts.length,
    }));
    check(r.xss === undefined, where + ': a hostile string ran as script');
    check(r.csp.length === 0, where + ': CSP violations ' + r.csp.join('; '));
    check(r.imgs === 0, where + ': an <img> element appeared (a hostile string became markup)');
    check(r.scripts === 1, where + ': ' + r.scripts + ' script elements');
  }

  // In Vietnamese, no text node, placeholder, label or option of the page is
  // an English catalogue string: every visible string was translated.
  async function allVietnamese(page, where) {
    const left = await page.evaluate((english) => {
      const found = [];
      const words = new Set(english);
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        if (words.has(n.nodeValue.trim())) found.push(n.nodeValue.trim());
      }
      for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]'))
        for (const a of ['placeholder', 'aria-label', 'title']) if (words.has(el.getAttribute(a))) found.push(a + '=' + el.getAttribute(a));
      return found;
    }, ENGLISH_ONLY);
    check(left.length === 0, where + ': English left in Vietnamese: ' + left.join(' | '));
  }

  async function login(page, user, password) {
    await page.fill('#login-user', user);
    await page.fill('#login-pass', password);
    await page.click('#login-submit');
  }

  async function apiJson(page, path) {
    const r = await page.request.get(BASE + path);
    check(r.ok(), path + ' answered ' + r.status());
    return r.json();
  }

  // ---- analyst, English ----
  const { ctx, page } = await session('en');
  await page.goto(BASE + '/');
  await page.waitForSelector('#login-user');
  await page.screenshot({ path: join(args.shots, 'login-en.png') });
  await login(page, 'ana', 'not-the-password');
  await page.waitForFunction(() => document.querySelector('#login-error')?.textContent.length > 0);
  check((await page.textContent('#login-error')) === 'Wrong user name or password.', 'wrong password: no error shown');
  await login(page, 'ana', 'analyst-password-1');
  await page.waitForSelector('#nav-alerts');
  const t0 = Date.now();
  await page.goto(BASE + '/ui/alerts');
  await page.waitForSelector('#alerts tbody tr');
  const firstRowsMs = Date.now() - t0;
  check((await page.locator('#alerts tbody tr').count()) === TOTAL, 'the list does not show all ' + TOTAL + ' alerts');
  check((await page.textContent('#alerts-total')).includes(String(TOTAL)), 'the total is not shown');
  check((await page.locator('td.sig a', { hasText: HOSTILE_SIG }).count()) === 1, 'the hostile signature is not shown as text');
  await safe(page, 'alert list');
  await page.screenshot({ path: join(args.shots, 'alerts-en.png'), fullPage: true });

  // A filter narrows the list, is in the URL and survives a reload.
  await page.fill('#f-sid', '2100020');
  await page.click('#apply-filter');
  await page.waitForURL(/sid=2100020/);
  await page.waitForFunction(() => document.querySelectorAll('#alerts tbody tr').length === 12);
  await page.reload();
  await page.waitForSelector('#alerts tbody tr');
  check((await page.locator('#alerts tbody tr').count()) === 12, 'after a reload the filter is lost');
  check((await page.inputValue('#f-sid')) === '2100020', 'after a reload the form lost the filter');
  for (const s of await page.locator('td.sig').allTextContents())
    check(s === 'VIGIL WEB suspicious DNS lookup', 'the filter let through: ' + s);

  // The hostile alert's detail.
  await page.fill('#f-sid', '');
  await page.fill('#f-src_ip', '10.66.66.0/24');
  await page.click('#apply-filter');
  await page.waitForFunction(() => document.querySelectorAll('#alerts tbody tr').length === 1);
  const hostileId = Number(await page.getAttribute('#alerts tbody tr', 'data-id'));
  await page.click('td.sig a');
  await page.waitForSelector('#detail-fields');
  check(page.url().endsWith('/ui/alerts/' + hostileId), 'the detail URL is ' + page.url());
  const fields = await page.textContent('#detail-fields');
  for (const want of [HOSTILE_SIG, '10.66.66.66', '1:2100666:1', 'GET /"><script>window.__xss=1</script> HTTP/1.1', '"><svg onload=window.__xss=1>', '<script>window.__xss=1</script>.evil.example', 'CN=<script>window.__xss=1</script>', 'X-Evil'])
    check(fields.includes(want), 'the detail does not show ' + want);
  check((await page.textContent('#payload-hex')).includes('47 45 54 20'), 'no hex payload');
  check((await page.textContent('#payload-printable')).includes('<img src=x onerror=window.__xss=1>'), 'no printable payload');
  check((await page.textContent('#detail-json')).includes('<b onmouseover=window.__xss=1>cat</b>'), 'the stored fields are not all shown');
  check((await page.locator('#suppress').count()) === 0, 'an analyst sees the admin-only suppression form');
  await safe(page, 'alert detail');
  await page.screenshot({ path: join(args.shots, 'detail-en.png'), fullPage: true });

  // The real agent's alerts: the list and each detail show their hostile strings as text.
  await page.goto(BASE + '/ui/alerts?src_ip=10.77.0.0%2F24');
  await page.waitForFunction((n) => document.querySelectorAll('#alerts tbody tr').length === n, PCAP);
  const pcapRows = await page.locator('#alerts tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.dataset.id, tr.querySelector('td.sig').textContent]));
  check(pcapRows.map((r) => r[1]).sort().join('|') === Object.values(PCAP_ALERTS).map((v) => v[0]).sort().join('|'), 'the list shows the capture alerts as ' + JSON.stringify(pcapRows));
  await safe(page, 'alert list (capture alerts)');
  for (const [id, sig] of pcapRows) {
    const [sid, [, wants]] = Object.entries(PCAP_ALERTS).find(([, v]) => v[0] === sig);
    await page.goto(BASE + '/ui/alerts/' + id);
    await page.waitForSelector('#detail-fields');
    const f = await page.textContent('#detail-fields');
    check(f.includes(sig) && f.includes('1:' + sid + ':1'), 'detail ' + id + ' does not show its signature ' + sig);
    for (const want of wants) check(f.includes(want), 'detail of sid ' + sid + ' does not show ' + want);
    if (sid === '2100704')
      check((await page.textContent('#payload-printable')).includes('"><svg onload=window.__xss=1>'), 'the payload is not shown as text');
    await safe(page, 'capture alert detail ' + sid);
  }
  await page.goto(BASE + '/ui/alerts/' + hostileId);
  await page.waitForSelector('#detail-fields');

  // Triage one alert, then check through the API.
  await page.selectOption('#triage-status', 'escalated');
  await page.fill('#triage-assignee', 'ana');
  await page.fill('#triage-comment', 'looked at <b>this</b>');
  await page.click('#triage-save');
  await page.waitForSelector('#triage-history li');
  check((await page.textContent('#triage-history')).includes('looked at <b>this</b>'), 'the comment is not in the history');
  let d = await apiJson(page, '/api/v1/alerts/' + hostileId);
  check(d.alert.status === 'escalated' && d.triage.assignee === 'ana', 'the API does not report the triage: ' + JSON.stringify(d.triage));
  await page.reload();
  await page.waitForSelector('#triage-history li');
  check((await page.inputValue('#triage-status')) === 'escalated', 'the triage did not persist across a reload');

  // Bulk triage of two selected alerts.
  await page.goto(BASE + '/ui/alerts?sid=2100010');
  await page.waitForSelector('#alerts tbody tr');
  const rows = page.locator('#alerts tbody tr');
  const ids = [Number(await rows.nth(0).getAttribute('data-id')), Number(await rows.nth(1).getAttribute('data-id'))];
  await rows.nth(0).locator('input.sel').check();
  await rows.nth(1).locator('input.sel').check();
  await page.selectOption('#bulk-status', 'closed');
  await page.click('#bulk-apply');
  await page.waitForFunction(() => /2/.test(document.querySelector('#bulk-result')?.textContent || ''));
  for (const id of ids) {
    d = await apiJson(page, '/api/v1/alerts/' + id);
    check(d.alert.status === 'closed', 'bulk triage: alert ' + id + ' is ' + d.alert.status);
  }

  // Live update: a new alert arrives; the table stays, a "1 new" bar shows.
  await page.goto(BASE + '/ui/alerts');
  await page.waitForSelector('#alerts tbody tr');
  const before = await page.locator('#alerts tbody tr').count();
  const ingest = await page.request.post(BASE + '/api/v1/events', {
    headers: { Authorization: 'Bearer ' + args['agent-cred'], 'Content-Type': 'application/json' },
    data: readFileSync(args['live-batch'], 'utf8'),
  });
  check(ingest.ok(), 'live ingest answered ' + ingest.status());
  await page.waitForSelector('#new-alerts:not(.hidden)', { timeout: 15000 });
  check((await page.textContent('#new-alerts')).startsWith('1 new'), 'the new-alert bar says ' + (await page.textContent('#new-alerts')));
  check((await page.locator('#alerts tbody tr').count()) === before, 'the table moved under the officer');
  await page.click('#new-alerts');
  await page.waitForFunction((n) => document.querySelectorAll('#alerts tbody tr').length === n, before + 1);

  // Keyset paging, 12 rows a page: forward to the end and back again.
  const TOTAL_NOW = TOTAL + 1;
  const pageIds = async () => (await page.locator('#alerts tbody tr').evaluateAll((trs) => trs.map((tr) => tr.dataset.id))).join(',');
  await page.goto(BASE + '/ui/alerts?limit=12');
  await page.waitForSelector('#alerts tbody tr');
  const p1 = await pageIds();
  check(p1.split(',').length === 12 && (await page.isDisabled('#page-prev')), 'page 1: not 12 rows, or "newer" enabled');
  await page.click('#page-next');
  await page.waitForFunction((ids) => [...document.querySelectorAll('#alerts tbody tr')].map((tr) => tr.dataset.id).join(',') !== ids, p1);
  const p2 = await pageIds();
  await page.click('#page-next');
  await page.waitForFunction((ids) => [...document.querySelectorAll('#alerts tbody tr')].map((tr) => tr.dataset.id).join(',') !== ids, p2);
  const p3 = await pageIds();
  const seen = new Set([...p1.split(','), ...p2.split(','), ...p3.split(',')]);
  check(seen.size === TOTAL_NOW && p3.split(',').length === TOTAL_NOW - 24, 'paging: ' + seen.size + ' distinct alerts over 3 pages');
  check(await page.isDisabled('#page-next'), 'the last page offers "older"');
  await page.click('#page-prev');
  await page.waitForFunction((ids) => [...document.querySelectorAll('#alerts tbody tr')].map((tr) => tr.dataset.id).join(',') === ids, p2);

  // Grouping: the groups add up to every alert; the export of a filter has its rows.
  await page.goto(BASE + '/ui/alerts');
  await page.waitForSelector('#alerts tbody tr');
  await page.click('#group-toggle');
  await page.waitForSelector('#groups tbody tr');
  const counts = await page.locator('#groups tbody tr td:nth-child(6)').allTextContents();
  check(counts.reduce((s, c) => s + Number(c.replace(/\D/g, '')), 0) === TOTAL_NOW, 'the groups do not add up: ' + counts);
  await page.goto(BASE + '/ui/alerts?sid=2100020');
  await page.waitForSelector('#alerts tbody tr');
  const csv = await page.request.get(BASE + (await page.getAttribute('#export-csv', 'href')));
  check(csv.ok() && csv.headers()['content-type'].startsWith('text/csv'), 'CSV export answered ' + csv.status());
  check((await csv.text()).trim().split('\n').length === 13, 'the CSV export does not hold the 12 filtered alerts');

  // Vietnamese, remembered across a reload.
  await page.selectOption('#lang', 'vi');
  await page.waitForFunction(() => document.querySelector('#nav-alerts')?.textContent === 'Cảnh báo');
  await page.waitForSelector('#alerts tbody tr');
  await page.reload();
  await page.waitForSelector('#alerts thead');
  check((await page.textContent('#alerts thead')).includes('Thời gian'), 'the table header is not Vietnamese after a reload');
  check((await page.textContent('#apply-filter')) === 'Áp dụng bộ lọc', 'the filter button is not Vietnamese');
  check((await page.getAttribute('html', 'lang')) === 'vi', 'html lang is not vi');
  await allVietnamese(page, 'alert list');
  await page.screenshot({ path: join(args.shots, 'alerts-vi.png'), fullPage: true });
  await page.goto(BASE + '/ui/alerts/' + hostileId);
  await page.waitForSelector('#detail-fields');
  check((await page.textContent('#triage')).includes('Lịch sử'), 'the detail is not Vietnamese');
  await safe(page, 'alert detail (vi)');
  await allVietnamese(page, 'alert detail');
  await page.screenshot({ path: join(args.shots, 'detail-vi.png'), fullPage: true });
  await page.goto(BASE + '/ui/dashboard');
  await page.waitForSelector('#dash-total');
  await allVietnamese(page, 'dashboard');
  await page.screenshot({ path: join(args.shots, 'dashboard-vi.png'), fullPage: true });
  await page.click('#logout');
  await page.waitForSelector('#login-user');
  check((await page.textContent('#login-submit')) === 'Đăng nhập', 'the login is not Vietnamese');
  await allVietnamese(page, 'login');
  await page.screenshot({ path: join(args.shots, 'login-vi.png') });
  await ctx.close();

  // The language is kept per user on the server: a fresh browser (no
  // localStorage, English locale) shows the login in English, and
  // Vietnamese once ana, who chose it above, logs in.
  const fresh = await session('en');
  await fresh.page.goto(BASE + '/ui/alerts');
  await fresh.page.waitForSelector('#login-user');
  check((await fresh.page.textContent('#login-submit')) === en['login.submit'], 'a fresh English browser shows the login as ' + (await fresh.page.textContent('#login-submit')));
  await login(fresh.page, 'ana', 'analyst-password-1');
  await fresh.page.waitForSelector('#alerts thead');
  await fresh.page.waitForFunction(() => document.querySelector('#nav-alerts')?.textContent === 'Cảnh báo');
  check((await fresh.page.textContent('#alerts thead')).includes('Thời gian'), 'after login elsewhere the table is not Vietnamese');
  check((await fresh.page.getAttribute('html', 'lang')) === 'vi', 'after login elsewhere html lang is not vi');
  const freshWho = await apiJson(fresh.page, '/api/v1/session');
  check(freshWho.language === 'vi', 'the session does not answer the language');
  const fr = await fresh.page.request.patch(BASE + '/api/v1/users/me', { headers: { 'X-CSRF-Token': freshWho.csrf_token, 'Content-Type': 'application/json' }, data: JSON.stringify({ language: 'fr' }) });
  check(fr.status() === 400, 'the API took language fr: ' + fr.status());
  await allVietnamese(fresh.page, 'alert list (another browser)');
  await fresh.ctx.close();
  // Before any choice, a browser whose language is Vietnamese shows the login in Vietnamese.
  const viBrowser = await session('vi');
  await viBrowser.page.goto(BASE + '/');
  await viBrowser.page.waitForSelector('#login-user');
  check((await viBrowser.page.textContent('#login-submit')) === 'Đăng nhập', 'a Vietnamese browser shows the login in ' + (await viBrowser.page.textContent('#login-submit')));
  await allVietnamese(viBrowser.page, 'login (browser in Vietnamese)');
  await viBrowser.ctx.close();

  // ---- viewer ----
  const v = await session('en');
  await v.page.goto(BASE + '/ui/alerts');
  await login(v.page, 'vic', 'viewer-password-1');
  await v.page.waitForSelector('#alerts tbody tr');
  check((await v.page.locator('input.sel, #bulk').count()) === 0, 'a viewer sees bulk triage controls');
  await v.page.goto(BASE + '/ui/alerts/' + hostileId);
  await v.page.waitForSelector('#triage');
  check((await v.page.locator('#triage-form, #suppress').count()) === 0, 'a viewer sees triage or suppression controls');
  const who = await apiJson(v.page, '/api/v1/session');
  const refused = await v.page.request.patch(BASE + '/api/v1/alerts/' + hostileId, {
    headers: { 'X-CSRF-Token': who.csrf_token, 'Content-Type': 'application/json' },
    data: JSON.stringify({ status: 'closed' }),
  });
  check(refused.status() === 403, 'the API let a viewer triage: ' + refused.status());
  await safe(v.page, 'viewer detail');
  // The session ends elsewhere (here: logged out through the API); the next call shows the login.
  const gone = await v.page.request.delete(BASE + '/api/v1/session', { headers: { 'X-CSRF-Token': who.csrf_token } });
  check(gone.ok(), 'logout through the API answered ' + gone.status());
  await v.page.click('#nav-alerts');
  await v.page.waitForSelector('#login-user');
  await v.ctx.close();

  // ---- admin: suppression, dashboard ----
  const a = await session('en');
  await a.page.goto(BASE + '/ui/alerts/' + hostileId);
  await login(a.page, 'boss', 'admin-password-1');
  await a.page.waitForSelector('#suppress');
  await a.page.selectOption('#sup-track', 'by_src');
  await a.page.fill('#sup-reason', 'test <i>noise</i>');
  await a.page.click('#sup-save');
  await a.page.waitForFunction(() => /Suppression \d+ added/.test(document.querySelector('#sup-result')?.textContent || ''));
  const sups = await apiJson(a.page, '/api/v1/suppressions');
  check(sups.suppressions.some((s) => s.sid === 2100666 && s.track === 'by_src' && s.cidr.startsWith('10.66.66.66')), 'the suppression is not in the API');
  await a.page.goto(BASE + '/ui/dashboard?range=24h');
  await a.page.waitForSelector('#dash-total');
  const shown = Number((await a.page.textContent('#dash-total')).replace(/\D/g, ''));
  check(shown === RECENT + 1, 'the dashboard total is ' + shown + ', expected ' + (RECENT + 1));
  check((await a.page.locator('#chart rect').count()) > 0, 'the chart has no bars');
  const now = Math.floor(Date.now() / 1000);
  const st = await apiJson(a.page, `/api/v1/stats/alerts?from=${now - 86400}&to=${now + 60}`);
  for (const [sev, n] of Object.entries(st.by_severity)) {
    const cell = Number((await a.page.textContent('#dash-sev-' + sev)).replace(/\D/g, ''));
    check(cell === n, `dashboard severity ${sev}: ${cell}, the API says ${n}`);
  }
  check((await a.page.locator('#top-signatures tr').count()) === 4, 'top signatures: not 4 rows');
  await safe(a.page, 'dashboard');
  await a.page.screenshot({ path: join(args.shots, 'dashboard-en.png'), fullPage: true });
  await a.page.click('#dash-total');
  await a.page.waitForSelector('#alerts tbody tr');
  check((await a.page.locator('#alerts tbody tr').count()) === RECENT + 1, 'the dashboard total does not link to its alerts');
  // The agents card leads to the agents page.
  await a.page.goto(BASE + '/ui/dashboard?range=24h');
  await a.page.waitForSelector('#dash-agents-link');
  check((await a.page.textContent('#dash-agents-link')).startsWith('Agents: '), 'the agents card heading is ' + (await a.page.textContent('#dash-agents-link')));
  await a.page.click('#dash-agents-link');
  await a.page.waitForSelector('#agents tbody tr');
  check(new URL(a.page.url()).pathname === '/ui/agents', 'the agents card leads to ' + a.page.url());

  // ---- admin: users, tokens, audit ----
  const HOSTILE_NAME = '"><svg onload=window.__xss=1>';
  await a.page.goto(BASE + '/ui/users');
  await a.page.waitForSelector('#users tbody tr');
  // A hostile user name: the API refuses it and the page says why, as text.
  await a.page.fill('#nu-name', HOSTILE_SIG);
  await a.page.fill('#nu-pass', 'whatever-password-1');
  await a.page.click('#nu-submit');
  await a.page.waitForFunction(() => /bad user name/.test(document.querySelector('#users-result')?.textContent || ''));
  await safe(a.page, 'users, refused name');
  await a.page.fill('#nu-name', 'newbie');
  await a.page.selectOption('#nu-role', 'analyst');
  await a.page.fill('#nu-pass', 'newbie-password-1');
  await a.page.click('#nu-submit');
  await a.page.waitForSelector('#users tr[data-name="newbie"]');
  check((await a.page.textContent('#users-result')) === 'User newbie added.', 'user add: ' + (await a.page.textContent('#users-result')));
  check((await a.page.locator('#users tr[data-name="boss"] .u-toggle, #users tr[data-name="boss"] select').count()) === 0, 'the admin is offered to disable or demote themselves');
  await a.page.screenshot({ path: join(args.shots, 'users-en.png'), fullPage: true });
  // The new user logs in.
  const nb = await session('en');
  await nb.page.goto(BASE + '/ui/alerts');
  await login(nb.page, 'newbie', 'newbie-password-1');
  await nb.page.waitForSelector('#alerts tbody tr');
  check((await nb.page.textContent('#whoami')).startsWith('newbie'), 'the new user is not logged in');
  check((await nb.page.locator('#nav-users, #nav-audit').count()) === 0, 'an analyst sees the admin pages in the header');
  // The admin changes the role, then disables the user: the user's next click shows the login.
  const row = a.page.locator('#users tr[data-name="newbie"]');
  await row.locator('select.u-role').selectOption('viewer');
  await a.page.waitForFunction(() => /role of newbie/.test(document.querySelector('#users-result')?.textContent || ''));
  let users = (await apiJson(a.page, '/api/v1/users')).users;
  check(users.find((u) => u.name === 'newbie').role === 'viewer', 'the role change is not in the API');
  await a.page.locator('#users tr[data-name="newbie"] .u-toggle').click();
  await a.page.waitForFunction(() => document.querySelector('#users tr[data-name="newbie"] .u-state')?.textContent === 'disabled');
  await nb.page.click('#nav-dashboard');
  await nb.page.waitForSelector('#login-user');
  await login(nb.page, 'newbie', 'newbie-password-1');
  await nb.page.waitForFunction(() => document.querySelector('#login-error')?.textContent.length > 0);
  check((await nb.page.textContent('#login-error')).includes('disabled'), 'a disabled user is told: ' + (await nb.page.textContent('#login-error')));
  // Enabled again with a new password.
  await a.page.locator('#users tr[data-name="newbie"] .u-toggle').click();
  await a.page.waitForFunction(() => document.querySelector('#users tr[data-name="newbie"] .u-state')?.textContent === 'active');
  await a.page.locator('#users tr[data-name="newbie"] .u-pass').fill('newbie-password-2');
  await a.page.locator('#users tr[data-name="newbie"] .u-pass-set').click();
  await a.page.waitForFunction(() => /password of newbie/.test(document.querySelector('#users-result')?.textContent || ''));
  await login(nb.page, 'newbie', 'newbie-password-2');
  await nb.page.waitForSelector('#nav-alerts');
  check((await nb.page.textContent('#whoami')).includes('viewer'), 'the user is not a viewer now');
  await nb.ctx.close();

  // An API token of the admin: shown once, works as Bearer, revoked stops working.
  await a.page.goto(BASE + '/ui/tokens');
  await a.page.waitForSelector('#tok-name');
  await a.page.fill('#tok-name', HOSTILE_NAME);
  await a.page.selectOption('#tok-expiry', '2592000');
  await a.page.click('#tok-submit');
  await a.page.waitForSelector('#tok-secret');
  const secret = (await a.page.textContent('#tok-secret')).trim();
  check(secret.startsWith('vgu_'), 'the token shown is ' + secret);
  await a.page.waitForSelector('#tokens tbody tr');
  check((await a.page.locator('td.tok-name', { hasText: HOSTILE_NAME }).count()) === 1, 'the token name is not shown as text');
  const bare = await browser.newContext({ ignoreHTTPSErrors: true });
  const asBearer = async () => (await bare.request.get(BASE + '/api/v1/users', { headers: { Authorization: 'Bearer ' + secret } })).status();
  check((await asBearer()) === 200, 'the new token does not work as Bearer');
  await safe(a.page, 'tokens');
  await a.page.screenshot({ path: join(args.shots, 'tokens-en.png'), fullPage: true });
  await a.page.click('#tokens .tok-revoke');
  await a.page.waitForFunction(() => document.querySelector('#tokens .tok-state')?.textContent === 'revoked');
  check((await asBearer()) === 401, 'a revoked token still works');
  await a.page.reload();
  await a.page.waitForSelector('#tokens tbody tr');
  check((await a.page.locator('#tok-secret').count()) === 0, 'the token is shown again after a reload');

  // The audit log shows the changes with their author, and pages by before_id.
  await a.page.goto(BASE + '/ui/audit?actor=boss');
  await a.page.waitForSelector('#audit tbody tr');
  const audit = await a.page.locator('#audit tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
  for (const [action, target] of [['user.add', 'newbie'], ['user.update', 'newbie'], ['user.passwd', 'newbie'], ['token.create', ''], ['token.revoke', '']])
    check(audit.some((r) => r[1] === 'boss' && r[2] === action && r[3].includes(target)), 'the audit does not show boss: ' + action + ' ' + target);
  check(audit.some((r) => r[2] === 'token.create' && r[5].includes(HOSTILE_NAME)), 'the audit detail does not show the token name as text');
  check(audit.every((r) => r[1] === 'boss'), 'the actor filter let others through');
  const anaAudit = (await apiJson(a.page, '/api/v1/audit?actor=ana')).entries;
  const langEntry = anaAudit.find((e) => e.action === 'user.update' && e.target === 'ana');
  check(langEntry && /"language":\s*"vi"/.test(typeof langEntry.detail === 'string' ? langEntry.detail : JSON.stringify(langEntry.detail)), 'the language change is not audited: ' + JSON.stringify(anaAudit));
  await safe(a.page, 'audit');
  await a.page.screenshot({ path: join(args.shots, 'audit-en.png'), fullPage: true });
  await a.page.goto(BASE + '/ui/audit?limit=3');
  await a.page.waitForSelector('#audit tbody tr');
  const auditIds = async () => (await a.page.locator('#audit tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.id))));
  const a1 = await auditIds();
  await a.page.click('#audit-older');
  await a.page.waitForURL(/before_id=/);
  await a.page.waitForFunction((first) => Number(document.querySelector('#audit tbody tr')?.dataset.id) < first, a1[2]);
  const a2 = await auditIds();
  check(a1.length === 3 && a2.length === 3 && a2[0] < a1[2], 'audit paging: ' + a1 + ' then ' + a2);
  await a.page.reload();
  await a.page.waitForSelector('#audit tbody tr');
  check((await auditIds()).join() === a2.join(), 'the audit page is not in the URL');

  // ---- agents ----
  const agentId = args['agent-cred'].split('.')[0];
  const agentAuth = { Authorization: 'Bearer ' + args['agent-cred'], 'Content-Type': 'application/json' };
  for (let i = 0; i < 3; i++) {
    if (i) await new Promise((r) => setTimeout(r, 1100));
    const hb = { agent_version: '9.9.9', packets: [1000, 6000, 8000][i], bytes: 0, capture_drops: 7 * i, alerts: 10 * i, interfaces: ['eth9'], counters: { 'spool.depth': 42 } };
    const r = await bare.request.post(BASE + '/api/v1/heartbeat', { headers: agentAuth, data: JSON.stringify(hb) });
    check(r.ok(), 'heartbeat answered ' + r.status());
  }
  const hbs = (await apiJson(a.page, '/api/v1/agents/' + agentId + '/heartbeats')).heartbeats;
  const dt = hbs[0].received_at - hbs[1].received_at;
  const wantPps = new Intl.NumberFormat('en-GB').format(Math.round(((hbs[0].packets - hbs[1].packets) / dt) * 10) / 10);
  await a.page.goto(BASE + '/ui/agents');
  const arow = a.page.locator(`#agents tr[data-id="${agentId}"]`);
  await arow.waitFor();
  check((await arow.locator('.ag-status').textContent()) === 'online', 'the agent is not shown online');
  check((await arow.locator('.ag-pps').textContent()) === wantPps, `packets/s ${await arow.locator('.ag-pps').textContent()}, the heartbeats give ${wantPps}`);
  check((await arow.locator('.ag-spool').textContent()) === '42', 'spool depth not shown');
  check((await arow.locator('.ag-drops').textContent()) === '14', 'capture drops not shown');
  check((await arow.locator('.ag-ifaces').textContent()) === 'eth9', 'interfaces not shown');
  check((await arow.locator('.ag-addr').textContent()) === '127.0.0.1', 'the address of its heartbeats is not shown: ' + (await arow.locator('.ag-addr').textContent()));
  check(Number(await arow.locator('.ag-aps').textContent()) > 0, 'alerts/s not shown');
  check((await arow.locator('svg.spark polyline').count()) === 2, 'no history chart');
  // An enrolment token: created, its command shown, an agent enrols with it (a hostile host name).
  await a.page.click('#et-create');
  await a.page.waitForSelector('#et-command');
  const cmd = await a.page.textContent('#et-command');
  check(cmd.startsWith('runuser -u vigil -- vigil-agent enroll --collector ' + BASE + ' --token vt_'), 'the enrol command is ' + cmd);
  // The copy button puts the command on the clipboard.
  await a.ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  await a.page.click('#et-copy');
  await a.page.waitForSelector('#et-result .copy-result');
  check((await a.page.textContent('#et-result .copy-result')) === 'Copied to the clipboard.', 'copy says ' + (await a.page.textContent('#et-result .copy-result')));
  check((await a.page.evaluate(() => navigator.clipboard.readText())) === cmd, 'the clipboard does not hold the command');
  const tok = cmd.match(/--token (\S+)/)[1];
  const en1 = await bare.request.post(BASE + '/api/v1/enroll', { data: JSON.stringify({ token: tok, hostname: HOSTILE_SIG }), headers: { 'Content-Type': 'application/json' } });
  check(en1.ok(), 'enrolment with the new token answered ' + en1.status());
  const hostileAgent = (await en1.json()).agent_id;
  await a.page.click('#et-create');
  await a.page.waitForFunction((old) => document.querySelector('#et-command')?.textContent !== old, cmd);
  const tok2 = (await a.page.textContent('#et-command')).match(/--token (\S+)/)[1];
  // The list names a token by the first 12 hex of its SHA-256.
  const tokId = (x) => createHash('sha256').update(x).digest('hex').slice(0, 12);
  await a.page.waitForSelector(`#enrol-tokens tr[data-id="${tokId(tok2)}"]`);
  check((await a.page.textContent(`#enrol-tokens tr[data-id="${tokId(tok)}"] .et-state`)) === 'used up', 'the used token is not shown used up');
  await a.page.click(`#enrol-tokens tr[data-id="${tokId(tok2)}"] .et-revoke`);
  await a.page.waitForFunction((id) => document.querySelector(`#enrol-tokens tr[data-id="${id}"] .et-state`)?.textContent === 'revoked', tokId(tok2));
  const en2 = await bare.request.post(BASE + '/api/v1/enroll', { data: JSON.stringify({ token: tok2, hostname: 'late' }), headers: { 'Content-Type': 'application/json' } });
  check(en2.status() === 401, 'a revoked enrolment token enrolled: ' + en2.status());
  await a.page.reload();
  await a.page.waitForSelector(`#agents tr[data-id="${hostileAgent}"]`);
  check((await a.page.textContent(`#agents tr[data-id="${hostileAgent}"] .ag-host`)) === HOSTILE_SIG, 'the hostile host name is not shown as text');
  await safe(a.page, 'agents');
  await a.page.screenshot({ path: join(args.shots, 'agents-en.png'), fullPage: true });
  // The analyst sees no revoke and the API refuses it; the admin revokes.
  const an = await session('en');
  await an.page.goto(BASE + '/ui/agents');
  await login(an.page, 'ana', 'analyst-password-1');
  await an.page.waitForSelector('#agents tbody tr');
  check((await an.page.locator('.ag-revoke, #enrolment').count()) === 0, 'an analyst sees revoke or enrolment controls');
  const anWho = await apiJson(an.page, '/api/v1/session');
  const anRevoke = await an.page.request.delete(BASE + '/api/v1/agents/' + hostileAgent, { headers: { 'X-CSRF-Token': anWho.csrf_token } });
  check(anRevoke.status() === 403, 'the API let an analyst revoke an agent: ' + anRevoke.status());
  await safe(an.page, 'agents (analyst)');
  await an.ctx.close();
  const hrow = a.page.locator(`#agents tr[data-id="${hostileAgent}"]`);
  await hrow.locator('.ag-revoke').click();
  check((await hrow.locator('.ag-revoke').textContent()).startsWith('Confirm'), 'revoke does not ask first');
  await hrow.locator('.ag-revoke').click();
  await a.page.waitForFunction((id) => document.querySelector(`#agents tr[data-id="${id}"] .ag-status`)?.textContent === 'revoked', hostileAgent);
  const agentsNow = (await apiJson(a.page, '/api/v1/agents')).agents;
  check(agentsNow.find((x) => x.id === hostileAgent).status === 'revoked', 'the API does not report the revoke');
  check(agentsNow.find((x) => x.id === agentId).status === 'online', 'the wrong agent was revoked');
  // Never sent a heartbeat: the address of its enrolment.
  check(agentsNow.find((x) => x.id === hostileAgent).address === '127.0.0.1', 'the API gives the enrolled agent the address ' + agentsNow.find((x) => x.id === hostileAgent).address);

  // ---- rules and suppressions ----
  const haveRules = (await a.page.request.get(BASE + '/api/v1/rulesets')).status() !== 404;
  await a.page.goto(BASE + '/ui/rules');
  await a.page.waitForSelector('#suppressions tbody tr');
  const sup = a.page.locator('#suppressions tbody tr').first();
  check((await sup.locator('.sup-reason').textContent()) === 'test <i>noise</i>', 'the suppression reason is not shown as text');
  check(!/^(-|until removed)$/.test(await sup.locator('.sup-expires').textContent()), 'the suppression expiry is not shown');
  check((await sup.locator('.sup-state').textContent()) === 'active', 'the suppression is not active');
  if (!haveRules) {
    console.log('rules: SKIP (this collector has no GET /api/v1/rulesets)');
    check((await a.page.locator('#rules-unavailable').count()) === 1, 'no word that rules are unavailable');
  } else {
    const HOSTILE_MSG = '<script>window.__xss=1</script>';
    const bad = `alert tcp any any -> any 80 (msg:"ok"; sid:3000001; rev:1;)\nalert tcp any any -> any 80 (msg:"${HOSTILE_MSG}"; nosuchkw; sid:3000002; rev:1;)\n`;
    await a.page.fill('#rs-text', bad);
    await a.page.click('#rs-upload');
    await a.page.waitForSelector('#rs-errors tbody tr');
    check((await a.page.textContent('#rs-errors tr[data-line="2"] .rs-line')).includes(HOSTILE_MSG), 'the failing line is not shown per line, as text');
    const good =
      `alert tcp any any -> any 80 (msg:"${HOSTILE_MSG}"; sid:3000001; rev:1;)\nalert tcp any any -> any 81 (msg:"two"; sid:3000002; rev:1;)\n` +
      `alert tcp any any -> any 82 (msg:"hostile web"; classtype:web-application-attack; reference:url,example.com/<script>x</script>; reference:cve,2021-44228; sid:2100666; rev:1;)\n`;
    await a.page.fill('#rs-text', good);
    await a.page.click('#rs-upload');
    await a.page.waitForSelector('#rs-show-new');
    await a.page.click('#rs-show-new');
    await a.page.waitForSelector('#rules tr[data-sid="3000002"]');
    check((await a.page.textContent('#rules tr[data-sid="3000001"] .rule-msg')) === HOSTILE_MSG, 'the rule text is not shown as text');
    const r2 = a.page.locator('#rules tr[data-sid="3000002"]');
    await r2.locator('.rule-reason').fill('noisy');
    await r2.locator('.rule-toggle').click();
    await a.page.waitForFunction(() => /noisy/.test(document.querySelector('#rules tr[data-sid="3000002"] .rule-state')?.textContent || ''));
    const dis = (await apiJson(a.page, '/api/v1/rules/disabled')).rules;
    check(dis.some((d) => d.sid === 3000002 && d.author === 'boss'), 'the API does not list the disabled rule');
    check((await a.page.locator('#ruleset-history tbody tr').count()) >= 2, 'the history does not show both versions');
    await a.page.locator('#rules tr[data-sid="3000002"] .rule-toggle').click();
    await a.page.waitForFunction(() => document.querySelector('#rules tr[data-sid="3000002"] .rule-state')?.textContent === 'enabled');
    // The alert detail shows its rule, classification and references as links.
    await a.page.goto(BASE + '/ui/alerts/' + hostileId);
    await a.page.waitForSelector('#rule-text');
    check((await a.page.textContent('#rule-text')).includes('sid:2100666'), 'the detail does not show the rule text');
    check((await a.page.textContent('#detail-rule')).includes('web-application-attack'), 'the detail does not show the classification');
    const refs = await a.page.locator('#rule-refs a').evaluateAll((as) => as.map((x) => [x.getAttribute('href'), x.textContent]));
    check(refs.length === 2 && refs[0][1] === 'example.com/<script>x</script>' && refs[0][0].startsWith('http://example.com/') && refs[1][0] === 'https://www.cve.org/CVERecord?id=CVE-2021-44228', 'the references are ' + JSON.stringify(refs));
    await safe(a.page, 'detail with rule');
  }
  await safe(a.page, 'rules');
  await a.page.screenshot({ path: join(args.shots, 'rules-en.png'), fullPage: true });

  // Every new page in Vietnamese.
  await a.page.selectOption('#lang', 'vi');
  await a.page.waitForFunction(() => document.querySelector('#nav-agents')?.textContent === 'Tác tử');
  for (const [name, path, sel] of [['users', '/ui/users', '#users tbody tr'], ['tokens', '/ui/tokens', '#tokens tbody tr'], ['audit', '/ui/audit', '#audit tbody tr'], ['agents', '/ui/agents', '#enrol-tokens tbody tr'], ['rules', '/ui/rules', '#suppressions tbody tr']]) {
    await a.page.goto(BASE + path);
    await a.page.waitForSelector(sel);
    await allVietnamese(a.page, name);
    await safe(a.page, name + ' (vi)');
    await a.page.screenshot({ path: join(args.shots, name + '-vi.png'), fullPage: true });
  }
  // The viewer: the rules and suppressions without a control; no admin page.
  const vw = await session('en');
  await vw.page.goto(BASE + '/ui/rules');
  await login(vw.page, 'vic', 'viewer-password-1');
  await vw.page.waitForSelector(haveRules ? '#rules tbody tr' : '#suppressions tbody tr');
  check((await vw.page.locator('#rs-upload-form, .rule-toggle, .rule-reason, .sup-remove').count()) === 0, 'a viewer sees rule or suppression controls');
  check((await vw.page.locator('#nav-users, #nav-audit').count()) === 0, 'a viewer sees the admin pages in the header');
  await vw.page.goto(BASE + '/ui/users');
  await vw.page.waitForSelector('main h1');
  check((await vw.page.locator('#users, #user-add').count()) === 0, 'a viewer sees the users page');
  if (haveRules) {
    const vwho = await apiJson(vw.page, '/api/v1/session');
    const vr = await vw.page.request.patch(BASE + '/api/v1/rules/3000002', { headers: { 'X-CSRF-Token': vwho.csrf_token, 'Content-Type': 'application/json' }, data: JSON.stringify({ enabled: false, reason: 'x' }) });
    check(vr.status() === 403, 'the API let a viewer disable a rule: ' + vr.status());
  }
  await safe(vw.page, 'rules (viewer)');
  await vw.ctx.close();
  await bare.close();
  await a.ctx.close();

  check(uiResponses >= 20, 'only ' + uiResponses + ' UI responses seen');
  console.log(`first rows painted in ${firstRowsMs} ms; ${uiResponses} UI responses checked`);
} catch (e) {
  problems.push(e.message);
} finally {
  await browser.close();
}
for (const p of problems) console.log('FAIL: ' + p);
if (problems.length) process.exit(1);
console.log('PASS');
