import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeHtml, html, markdownToHtml, safeUrl, trusted } from '../../src/console/html.js';
import { HOSTILE } from '../support/hostile.js';

// What must never come out of escaped text: a tag, an attribute's end, an entity of the input's own.
const BREAKOUTS = [/<[a-z/!]/i, /"/, /'/, /`/];
const MARKUP = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "' onmouseover='alert(1)", '`${x}`', '&lt;b&gt; stays text', '</textarea><svg onload=alert(1)>'];

test('escapeHtml: each hostile value and markup reads back as itself and breaks out of neither text nor a quoted attribute', () => {
  for (const value of [...HOSTILE.map((h) => h.value), ...MARKUP]) {
    const escaped = escapeHtml(value);
    for (const b of BREAKOUTS) assert.doesNotMatch(escaped, b, value);
    const back = escaped.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' })[e]!);
    assert.equal(back, value, 'nothing is lost');
  }
});

test('html escapes every interpolation (arrays too), keeps Html as is, drops null, undefined and false', () => {
  const title = '<script>alert(1)</script>';
  assert.equal(html`<h1 title="${title}">${title}</h1>`.text,
    '<h1 title="&lt;script&gt;alert(1)&lt;/script&gt;">&lt;script&gt;alert(1)&lt;/script&gt;</h1>');
  assert.equal(html`<ul>${['<a>', 'b&c'].map((x) => html`<li>${x}</li>`)}</ul>`.text, '<ul><li>&lt;a&gt;</li><li>b&amp;c</li></ul>');
  assert.equal(html`${null}${undefined}${false}${0}${trusted('<br>')}`.text, '0<br>');
});

test('safeUrl: http(s) only, so a label cannot become a javascript: link', () => {
  assert.equal(safeUrl('https://grafana.example/d/x?a=1'), 'https://grafana.example/d/x?a=1');
  for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'data:text/html,<script>x</script>', '//evil.example', 'not a url', '', null]) {
    assert.equal(safeUrl(bad), undefined, String(bad));
  }
});

test('markdownToHtml: tables (the header, then rows; escaped pipes stay), quotes, emphasis and escapes', () => {
  const out = markdownToHtml(['> Drafted by firebreak', '', '| Moment | Time |', '|---|---|', '| Opened \\(sev3\\) | a \\| b |', '', '_To be written._'].join('\n')).text;
  assert.equal(out, [
    '<blockquote>Drafted by firebreak</blockquote>',
    '<table><thead><tr><th>Moment</th><th>Time</th></tr></thead><tbody>', '<tr><td>Opened (sev3)</td><td>a | b</td></tr>', '</tbody></table>',
    '<p><em>To be written.</em></p>',
  ].join('\n'));
});

test('markdownToHtml: headings, lists, code and bold; hostile text stays text', () => {
  const out = markdownToHtml(['# INC-7: <img src=x onerror=alert(1)>', '', '- **impact**: `a<b`', '- two', '', '```', '<script>x</script>', '```', 'plain "text"'].join('\n')).text;
  assert.equal(out, [
    '<h2>INC-7: &lt;img src=x onerror=alert(1)&gt;</h2>',
    '<ul>', '<li><strong>impact</strong>: <code>a&lt;b</code></li>', '<li>two</li>', '</ul>',
    '<pre><code>&lt;script&gt;x&lt;/script&gt;</code></pre>',
    '<p>plain &quot;text&quot;</p>',
  ].join('\n'));
  for (const { value } of HOSTILE) assert.doesNotMatch(markdownToHtml(`# ${value}\n- ${value}\n${value}`).text, /<(?!\/?(h2|ul|li|p|strong|code|pre|em|table|thead|tbody|tr|th|td|blockquote)>)/, value);
});
