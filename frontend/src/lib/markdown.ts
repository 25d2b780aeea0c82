// A small Markdown renderer for model text. It knows the subset models write:
// paragraphs, headings, fenced code, inline code, bold, italic, strikethrough,
// lists (nested by indentation), block quotes, rules and pipe tables. Links
// are shown as their text (with the address as a tooltip), never followed.
//
// Safety: every piece of source text is HTML-escaped before any tag of ours is
// put around it, and no attribute takes unescaped input, so the output can be
// given to {@html}. Raw HTML in the source is shown as text.

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** escapeHTML escapes the five characters that matter in HTML text and attributes. */
export function escapeHTML(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const FENCE = /^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RULE = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const BULLET = /^( *)([-*+])\s+(.*)$/;
const ORDERED = /^( *)(\d{1,9})[.)]\s+(.*)$/;
const TABLE_SEP = /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/;

/** renderMarkdown turns Markdown source into safe HTML. */
export function renderMarkdown(src: string): string {
  return blocks(src.replace(/\r\n?/g, '\n').split('\n'));
}

function isBlank(line: string): boolean {
  return line.trim() === '';
}

function listMatch(line: string): RegExpExecArray | null {
  return BULLET.exec(line) ?? ORDERED.exec(line);
}

function blocks(lines: string[]): string {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) {
      i++;
      continue;
    }

    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[2];
      const indent = fence[1].length;
      const lang = fence[3].replace(/[^\w+#.-]/g, '').slice(0, 32);
      const body: string[] = [];
      i++;
      // An unclosed fence (a model still streaming) runs to the end.
      const closes = (l: string) => {
        const t = l.trim();
        return t.length >= marker.length && t === marker[0].repeat(t.length);
      };
      while (i < lines.length && !closes(lines[i])) {
        body.push(indent > 0 ? lines[i].replace(new RegExp(`^ {0,${indent}}`), '') : lines[i]);
        i++;
      }
      i++; // the closing fence
      const cls = lang ? ` class="lang-${escapeHTML(lang)}"` : '';
      const label = lang ? `<span class="md-lang">${escapeHTML(lang)}</span>` : '';
      out.push(`<pre class="md-code">${label}<code${cls}>${escapeHTML(body.join('\n'))}</code></pre>`);
      continue;
    }

    const heading = HEADING.exec(line);
    if (heading) {
      const level = heading[1].length;
      out.push(`<h${level}>${inline(heading[2])}</h${level}>`);
      i++;
      continue;
    }

    if (RULE.test(line)) {
      out.push('<hr>');
      i++;
      continue;
    }

    if (QUOTE.test(line)) {
      const body: string[] = [];
      while (i < lines.length && !isBlank(lines[i])) {
        const q = QUOTE.exec(lines[i]);
        body.push(q ? q[1] : lines[i]);
        i++;
      }
      out.push(`<blockquote>${blocks(body)}</blockquote>`);
      continue;
    }

    const item = listMatch(line);
    if (item) {
      i = list(lines, i, out);
      continue;
    }

    if (line.includes('|') && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      i = table(lines, i, out);
      continue;
    }

    // A paragraph runs until a blank line or the start of another block.
    const para: string[] = [];
    while (
      i < lines.length &&
      !isBlank(lines[i]) &&
      !(para.length > 0 && (FENCE.test(lines[i]) || HEADING.test(lines[i]) || QUOTE.test(lines[i]) || RULE.test(lines[i]) || listMatch(lines[i])))
    ) {
      para.push(lines[i].trim());
      i++;
    }
    out.push(`<p>${para.map(inline).join('<br>')}</p>`);
  }
  return out.join('');
}

/** list renders the list starting at lines[start] and returns the index after it. */
function list(lines: string[], start: number, out: string[]): number {
  const first = listMatch(lines[start])!;
  const ordered = !BULLET.test(lines[start]);
  const baseIndent = first[1].length;
  const items: string[][] = [];
  let loose = false;
  let i = start;
  while (i < lines.length) {
    const line = lines[i];
    const m = listMatch(line);
    if (m && m[1].length === baseIndent && BULLET.test(line) !== ordered) {
      items.push([m[3]]);
      i++;
      continue;
    }
    if (isBlank(line)) {
      // A blank line continues the list only if an indented line or another item follows.
      let j = i + 1;
      while (j < lines.length && isBlank(lines[j])) j++;
      const next = lines[j];
      if (next === undefined) break;
      const nm = listMatch(next);
      const indent = next.length - next.trimStart().length;
      if ((nm && nm[1].length === baseIndent && BULLET.test(next) !== ordered) || indent > baseIndent) {
        loose = true;
        items[items.length - 1].push('');
        i = j;
        continue;
      }
      break;
    }
    const indent = line.length - line.trimStart().length;
    if (indent > baseIndent) {
      // Continuation or nested block: strip the item's indentation.
      items[items.length - 1].push(line.slice(Math.min(indent, baseIndent + 2 + (ordered ? 1 : 0))));
      i++;
      continue;
    }
    if (m) break; // another kind of list at the same level
    // A lazy continuation line of the last item's paragraph.
    items[items.length - 1].push(line.trim());
    i++;
  }
  const tag = ordered ? 'ol' : 'ul';
  const startAttr = ordered && Number(first[2]) !== 1 ? ` start="${Number(first[2])}"` : '';
  const html = items
    .map((body) => {
      let inner = blocks(body);
      if (!loose) inner = inner.replace(/^<p>([\s\S]*?)<\/p>/, '$1');
      return `<li>${inner}</li>`;
    })
    .join('');
  out.push(`<${tag}${startAttr}>${html}</${tag}>`);
  return i;
}

function cells(row: string): string[] {
  let r = row.trim();
  if (r.startsWith('|')) r = r.slice(1);
  if (r.endsWith('|') && !r.endsWith('\\|')) r = r.slice(0, -1);
  return r.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** table renders a pipe table starting at lines[start] and returns the index after it. */
function table(lines: string[], start: number, out: string[]): number {
  const head = cells(lines[start]);
  const aligns = cells(lines[start + 1]).map((c) =>
    c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : c.startsWith(':') ? 'left' : '',
  );
  const style = (k: number) => (aligns[k] ? ` style="text-align:${aligns[k]}"` : '');
  let i = start + 2;
  const rows: string[] = [];
  while (i < lines.length && !isBlank(lines[i]) && lines[i].includes('|')) {
    const r = cells(lines[i]);
    rows.push(`<tr>${head.map((_, k) => `<td${style(k)}>${inline(r[k] ?? '')}</td>`).join('')}</tr>`);
    i++;
  }
  out.push(
    `<div class="md-table"><table><thead><tr>${head.map((h, k) => `<th${style(k)}>${inline(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`,
  );
  return i;
}

/** plainText strips Markdown markers from text for one-line labels: "**a** `b`" -> "a b". */
export function plainText(text: string): string {
  return text
    .replace(/^\s{0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+/gm, '')
    .replace(/!?\[([^\]\n]+)\]\([^)\n]*\)/g, '$1')
    .replace(/(\*\*|__|~~|`+)/g, '')
    .replace(/(^|\W)[*_](?=\S)([^*_\n]*?\S)[*_](?!\w)/g, '$1$2');
}

/** inline renders inline Markdown of one line of text. */
export function inline(text: string): string {
  // Code spans first: their content is literal.
  const parts: string[] = [];
  let rest = text;
  for (;;) {
    const open = rest.search(/`+/);
    if (open < 0) break;
    const ticks = /^`+/.exec(rest.slice(open))![0];
    const close = rest.indexOf(ticks, open + ticks.length);
    if (close < 0) break;
    parts.push(emphasis(rest.slice(0, open)));
    let code = rest.slice(open + ticks.length, close);
    if (code.startsWith(' ') && code.endsWith(' ') && code.trim() !== '') code = code.slice(1, -1);
    parts.push(`<code>${escapeHTML(code)}</code>`);
    rest = rest.slice(close + ticks.length);
  }
  parts.push(emphasis(rest));
  return parts.join('');
}

/** emphasis escapes text, then adds links (as text), bold, italic and strikethrough. */
function emphasis(text: string): string {
  let s = escapeHTML(text);
  // [text](address): keep the text, show the address on hover. Both are already escaped.
  s = s.replace(/!?\[([^\]\n]+)\]\(\s*([^()\s]+)(?:\s+&quot;[^\n]*?&quot;)?\s*\)/g, (_m, label: string, href: string) => {
    return `<span class="md-link" title="${href}">${label}</span>`;
  });
  s = s.replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>');
  s = s.replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, '$1<strong>$2</strong>');
  s = s.replace(/(^|[^*\w])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?!\*)/g, '$1<em>$2</em>');
  s = s.replace(/(^|[^\w])_(?=[^\s_])([^_\n]*?[^\s_])_(?!\w)/g, '$1<em>$2</em>');
  s = s.replace(/~~(?=\S)([\s\S]*?\S)~~/g, '<del>$1</del>');
  return s;
}
