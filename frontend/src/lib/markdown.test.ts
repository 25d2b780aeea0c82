// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { escapeHTML, inline, plainText, renderMarkdown } from './markdown';

/** squash drops the newlines markdown-it puts between block tags, so cases read on one line. */
const squash = (html: string) => html.replace(/>\n/g, '>');

describe('escapeHTML', () => {
  it('escapes the five HTML characters', () => {
    expect(escapeHTML(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

describe('renderMarkdown', () => {
  it.each([
    { name: 'paragraphs', src: 'one\ntwo\n\nthree', want: '<p>one<br>two</p><p>three</p>' },
    { name: 'heading', src: '## Plan ##', want: '<h2>Plan</h2>' },
    { name: 'bold and italic', src: '**bold** and *it* and _it2_', want: '<p><strong>bold</strong> and <em>it</em> and <em>it2</em></p>' },
    { name: 'snake_case stays', src: 'call my_func_name now', want: '<p>call my_func_name now</p>' },
    { name: 'inline code is literal', src: 'run `a *b* <c>`', want: '<p>run <code>a *b* &lt;c&gt;</code></p>' },
    { name: 'double backtick code', src: '``a ` b``', want: '<p><code>a ` b</code></p>' },
    { name: 'bold around inline code', src: '**`go test`** passes and **run `make`**', want: '<p><strong><code>go test</code></strong> passes and <strong>run <code>make</code></strong></p>' },
    { name: 'strikethrough', src: '~~old~~', want: '<p><s>old</s></p>' },
    { name: 'rule', src: 'a\n\n---\n\nb', want: '<p>a</p><hr><p>b</p>' },
    { name: 'quote', src: '> said\n> so', want: '<blockquote><p>said<br>so</p></blockquote>' },
    { name: 'bullet list', src: '- a\n- b *c*', want: '<ul><li>a</li><li>b <em>c</em></li></ul>' },
    { name: 'ordered list with start', src: '3. x\n4. y', want: '<ol start="3"><li>x</li><li>y</li></ol>' },
    { name: 'nested list', src: '- a\n  - b\n- c', want: '<ul><li>a\n<ul><li>b</li></ul></li><li>c</li></ul>' },
    { name: 'list after paragraph', src: 'Steps:\n- one', want: '<p>Steps:</p><ul><li>one</li></ul>' },
  ])('$name', ({ src, want }) => {
    expect(squash(renderMarkdown(src))).toBe(want);
  });

  it('renders fenced code with a language label, escaped', () => {
    const html = squash(renderMarkdown('```go\nif a < b && c {\n}\n```\nafter'));
    expect(html).toBe('<pre class="md-code"><span class="md-lang">go</span><code class="lang-go">if a &lt; b &amp;&amp; c {\n}</code></pre><p>after</p>');
  });

  it('renders an unclosed fence (still streaming) as code to the end', () => {
    expect(squash(renderMarkdown('text\n```\nline 1\nline'))).toBe('<p>text</p><pre class="md-code"><code>line 1\nline</code></pre>');
  });

  it('renders a pipe table with alignment', () => {
    const html = renderMarkdown('| a | b |\n|:--|--:|\n| 1 | **2** |');
    expect(html).toContain('<div class="md-table"><table>');
    expect(html).toContain('<th style="text-align:left">a</th>');
    expect(html).toContain('<td style="text-align:right"><strong>2</strong></td>');
  });

  it('shows links as their text with the address as a tooltip', () => {
    expect(inline('see [the docs](https://example.com/a_b)')).toBe('see <span class="md-link" title="https://example.com/a_b">the docs</span>');
  });

  describe('never lets HTML through', () => {
    it.each([
      '<script>alert(1)</script>',
      'hello <script>alert(1)</script> world',
      '<img src=x onerror=alert(1)>',
      '**<script>alert(1)</script>**',
      '- <script>alert(1)</script>',
      '> <script>alert(1)</script>',
      '# <script>alert(1)</script>',
      '| <script>x</script> | b |\n|---|---|\n| <script>y</script> | c |',
      '```"><script>alert(1)</script>\ncode\n```',
      '`</code><script>alert(1)</script>`',
      '[<script>alert(1)</script>](javascript:alert(1))',
      '[x](" onmouseover="alert(1))',
      '[x](javascript:alert(1) "t\\" onmouseover=\\"alert(1)")',
      '![x" onerror="alert(1)](x.png)',
      '<<script>script>alert(1)<</script>/script>',
      '<svg><style><img src=x onerror=alert(1)></style></svg>',
      '<a href="javascript:alert(1)">x</a>',
    ])('%s', (src) => {
      const html = renderMarkdown(src);
      expect(html).not.toMatch(/<script/i);
      expect(html).not.toMatch(/<img/i);
      expect(html).not.toMatch(/<a\s/i);
      expect(html).not.toMatch(/<[^>]*href=/i);
      // Parsed as the webview would: no element may carry an event handler or a link.
      const doc = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
      for (const el of doc.body.querySelectorAll('*')) {
        for (const a of el.attributes) {
          expect(a.name, `attribute on <${el.tagName}> in ${html}`).toMatch(/^(class|title|start|style)$/);
        }
        expect(['SCRIPT', 'IMG', 'A', 'SVG', 'STYLE', 'IFRAME']).not.toContain(el.tagName);
      }
    });

    it('keeps the text of the tag visible', () => {
      expect(squash(renderMarkdown('<b>hi</b>'))).toBe('<p>&lt;b&gt;hi&lt;/b&gt;</p>');
    });
  });
});

describe('plainText', () => {
  it('strips markers for one-line labels', () => {
    expect(plainText('## Plan: look at **file1.go** and `go test` with _care_ [docs](http://x)')).toBe('Plan: look at file1.go and go test with care docs');
    expect(plainText('- item\n1. first')).toBe('item\nfirst');
    expect(plainText('snake_case_name stays')).toBe('snake_case_name stays');
  });
});
