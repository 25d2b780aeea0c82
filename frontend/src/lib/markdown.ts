// Markdown for model text, rendered by markdown-it (CommonMark with the GFM
// tables and strikethrough) instead of a hand-written parser: models write the
// whole language, including the corners (emphasis around code spans, nested
// lists, lazy continuation lines) that a subset gets wrong.
//
// Safety, in two layers: markdown-it runs with raw HTML off, so HTML in the
// source is shown as text; links and images are rendered as their text with
// the address as a tooltip, never followed. The result is then sanitized by
// DOMPurify against a short allow-list of tags and attributes wherever a DOM
// exists (the window, the browser, jsdom in tests), so the output can be given
// to {@html}.

import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';
import type Token from 'markdown-it/lib/token.mjs';

const md = new MarkdownIt({ html: false, linkify: false, typographer: false, breaks: true });

/** escapeHTML escapes the five characters that matter in HTML text and attributes. */
export function escapeHTML(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// Links are shown, not followed: the address goes into a tooltip.
md.renderer.rules.link_open = (tokens, idx) => `<span class="md-link" title="${escapeHTML(tokens[idx].attrGet('href') ?? '')}">`;
md.renderer.rules.link_close = () => '</span>';
md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const tok = tokens[idx];
  const alt = self.renderInlineAsText(tok.children ?? [], options, env);
  return `<span class="md-link" title="${escapeHTML(tok.attrGet('src') ?? '')}">${escapeHTML(alt)}</span>`;
};

// Fenced code gets its language as a label; the language name is reduced to safe characters.
md.renderer.rules.fence = (tokens, idx) => {
  const tok = tokens[idx];
  const lang = (tok.info.trim().split(/\s+/)[0] ?? '').replace(/[^\w+#.-]/g, '').slice(0, 32);
  const cls = lang ? ` class="lang-${escapeHTML(lang)}"` : '';
  const label = lang ? `<span class="md-lang">${escapeHTML(lang)}</span>` : '';
  return `<pre class="md-code">${label}<code${cls}>${escapeHTML(tok.content.replace(/\n$/, ''))}</code></pre>`;
};
md.renderer.rules.code_block = (tokens, idx) => `<pre class="md-code"><code>${escapeHTML(tokens[idx].content.replace(/\n$/, ''))}</code></pre>`;

// Wide tables scroll in their own box.
md.renderer.rules.table_open = () => '<div class="md-table"><table>';
md.renderer.rules.table_close = () => '</table></div>';

const ALLOWED_TAGS = ['p', 'br', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 'del', 's', 'code', 'pre', 'span', 'ul', 'ol', 'li', 'blockquote', 'hr', 'div', 'table', 'thead', 'tbody', 'tr', 'th', 'td'];
const ALLOWED_ATTR = ['class', 'title', 'start', 'style'];

/** sanitize runs DOMPurify where a DOM exists; server-side rendering (tests) relies on markdown-it's escaping alone. */
function sanitize(html: string): string {
  if (!DOMPurify.isSupported) return html;
  return DOMPurify.sanitize(html, { ALLOWED_TAGS, ALLOWED_ATTR, ALLOW_DATA_ATTR: false });
}

/** renderMarkdown turns Markdown source into safe HTML. */
export function renderMarkdown(src: string): string {
  return sanitize(md.render(src));
}

/** inline renders the inline Markdown of one line of text into safe HTML. */
export function inline(text: string): string {
  return sanitize(md.renderInline(text));
}

/** plainText strips Markdown markers from text for one-line labels: "**a** `b`" -> "a b". */
export function plainText(text: string): string {
  const blocks: string[] = [];
  for (const tok of md.parse(text, {})) {
    if (tok.type === 'inline') blocks.push(inlineText(tok.children ?? []));
    else if ((tok.type === 'fence' || tok.type === 'code_block') && tok.content) blocks.push(tok.content.replace(/\n$/, ''));
  }
  return blocks.join('\n');
}

function inlineText(children: Token[]): string {
  let s = '';
  for (const c of children) {
    if (c.type === 'text' || c.type === 'code_inline') s += c.content;
    else if (c.type === 'softbreak' || c.type === 'hardbreak') s += '\n';
    else if (c.type === 'image') s += inlineText(c.children ?? []);
  }
  return s;
}
