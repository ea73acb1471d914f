// The UI's message catalogues, without a browser: en.js and vi.js have the
// same keys, no value is empty, every t('key') in collector/web/js exists in
// both, and no file of the UI assigns HTML (innerHTML, outerHTML,
// insertAdjacentHTML, document.write) or carries inline script or style.
// Usage: node tests/web/i18n_test.mjs SRC_DIR   (prints PASS or FAIL lines, exit 1)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const src = process.argv[2] || '.';
const web = join(src, 'collector', 'web');
const failures = [];
const fail = (why) => failures.push(why);

const en = (await import(pathToFileURL(join(web, 'i18n', 'en.js')))).default;
const vi = (await import(pathToFileURL(join(web, 'i18n', 'vi.js')))).default;
for (const k of Object.keys(en)) if (!(k in vi)) fail(`vi.js lacks '${k}'`);
for (const k of Object.keys(vi)) if (!(k in en)) fail(`en.js lacks '${k}'`);
for (const [name, d] of [['en', en], ['vi', vi]])
  for (const [k, v] of Object.entries(d)) if (typeof v !== 'string' || !v.trim()) fail(`${name}.js: '${k}' is empty`);
// The same {placeholders} on both sides, so a translation never drops a value.
const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
for (const k of Object.keys(en)) if (k in vi && holes(en[k]) !== holes(vi[k])) fail(`'${k}': placeholders differ`);

function walk(dir) {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
}
let used = 0;
for (const f of walk(web)) {
  const raw = readFileSync(f, 'utf8');
  const text = f.endsWith('.js') ? raw.replace(/^\s*\/\/.*$/gm, '') : raw;  // comments may name keys
  if (f.endsWith('.js')) {
    for (const m of text.matchAll(/\bt\(\s*(['"`])([^'"`]*)\1/g)) {
      used++;
      if (!(m[2] in en)) fail(`${f}: t('${m[2]}') is in no catalogue`);
    }
    if (/(?<!function )\bt\(\s*[^'"`\s)]/.test(text)) fail(`${f}: t() with a computed key (the test could not check it)`);
    if (/innerHTML|outerHTML|insertAdjacentHTML|document\.write/.test(text))
      fail(`${f}: assigns HTML`);
  }
  if (f.endsWith('.html')) {
    if (/<script(?![^>]*\bsrc=)[^>]*>/i.test(text)) fail(`${f}: inline script`);
    if (/<style|\sstyle=|\son\w+=/i.test(text)) fail(`${f}: inline style or handler`);
  }
  if (f.endsWith('.js') && /\.style\.|setAttribute\(\s*'style'/.test(text)) fail(`${f}: sets an inline style`);
}
if (used < 50) fail(`only ${used} t() calls found: is the scan broken?`);
if (!/[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/i.test(Object.values(vi).join(' ')))
  fail('vi.js has no Vietnamese diacritics');
for (const f of failures) console.log('FAIL: ' + f);
if (failures.length) process.exit(1);
console.log(`PASS: ${Object.keys(en).length} keys in both catalogues, ${used} uses checked`);
