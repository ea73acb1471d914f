// First rows painted by the web UI in headless chromium, against a running
// collector (bench/web_ui_bench.sh starts it over a filled store). For each
// view: RUNS navigations (a fresh page load each: HTML, modules, session
// check, the API query, rendering), timed in the page as performance.now()
// at the first animation frame after the first row exists, i.e. from the
// start of the navigation to the first rows on screen.
// Usage: node web_ui_bench.mjs --url URL --chromium PATH --modules DIR --user U --password P --runs N
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const { chromium } = await import(pathToFileURL(join(args.modules, 'playwright-core', 'index.mjs')).href);
const runs = Number(args.runs || 20);
const VIEWS = [
  ['list, no filter', '/ui/alerts', '#alerts tbody tr'],
  ['list, severity=1', '/ui/alerts?severity=1', '#alerts tbody tr'],
  ['list, src_ip=10.3.0.0/16', '/ui/alerts?src_ip=10.3.0.0%2F16', '#alerts tbody tr'],
  ['list, sid + last 24 h', '/ui/alerts?sid=2000007&from=' + Math.floor(Date.now() / 1000 - 86400), '#alerts tbody tr'],
  ['list, q=search (every alert)', '/ui/alerts?q=search', '#alerts tbody tr'],
  ['list, q=2000007 (1 in 500)', '/ui/alerts?q=2000007', '#alerts tbody tr'],
  ['list, grouped', '/ui/alerts?group=1', '#groups tbody tr'],
  ['dashboard, 7 days', '/ui/dashboard?range=7d', '#chart rect'],
];
const browser = await chromium.launch({ executablePath: args.chromium, args: ['--no-sandbox'] });
const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
const page = await ctx.newPage();
page.setDefaultTimeout(30000);
await page.goto(args.url + '/ui/alerts');
await page.fill('#login-user', args.user);
await page.fill('#login-pass', args.password);
await page.click('#login-submit');
await page.waitForSelector('#nav-alerts');
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
console.log('| view | runs | p50 ms | p95 ms | max ms | rows |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [name, path, sel] of VIEWS) {
  const ms = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    await page.goto(args.url + path, { waitUntil: 'commit' });
    await page.waitForSelector(sel);
    ms.push(await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(performance.now())))));
    rows = await page.locator(sel).count();
  }
  ms.sort((a, b) => a - b);
  console.log(`| ${name} | ${runs} | ${pct(ms, 50).toFixed(0)} | ${pct(ms, 95).toFixed(0)} | ${ms[ms.length - 1].toFixed(0)} | ${rows} |`);
}
await browser.close();
