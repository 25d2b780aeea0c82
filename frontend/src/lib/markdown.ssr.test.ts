import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown';

// Server-side rendering (component tests) has no DOM, so DOMPurify is not there:
// markdown-it's own escaping must already keep HTML out.
describe('renderMarkdown without a DOM', () => {
  it.each([
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '**<script>alert(1)</script>**',
    '```"><script>alert(1)</script>\ncode\n```',
    '[x](" onmouseover="alert(1))',
    '![x" onerror="alert(1)](x.png)',
    '<a href="javascript:alert(1)">x</a>',
  ])('%s', (src) => {
    const html = renderMarkdown(src);
    expect(html).not.toMatch(/<(script|img|a|svg|iframe)[\s>]/i);
    expect(html).not.toMatch(/<[^>]*\son\w+=/i);
    expect(html).not.toMatch(/<[^>]*href=/i);
  });
});
