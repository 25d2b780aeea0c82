import { describe, expect, it } from 'vitest';
import { LIMITS } from '../layout';
import { LayoutStore, STORAGE_KEY } from './layout.svelte';

function memory(init: Record<string, string> = {}) {
  const m = new Map(Object.entries(init));
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), m };
}

describe('LayoutStore', () => {
  it('remembers resized and collapsed panels', () => {
    const mem = memory();
    const a = new LayoutStore(mem);
    a.resize('sidebar', 320);
    a.resize('inspector', 5);
    a.toggle('workspace');
    const b = new LayoutStore(mem);
    expect(b.sizes).toMatchObject({ sidebar: 320, inspector: LIMITS.inspector.min, workspaceCollapsed: true });
    expect(JSON.parse(mem.m.get(STORAGE_KEY)!)).toMatchObject({ sidebar: 320 });
  });

  it('draws a collapsed panel at 0 and fits the window', () => {
    const s = new LayoutStore(memory({ [STORAGE_KEY]: '{"sidebarCollapsed":true}' }));
    s.window = 1024;
    s.inspectorOpen = true;
    expect(s.widths.sidebar).toBe(0);
    expect(s.widths.inspector).toBeGreaterThanOrEqual(LIMITS.inspector.min);
  });

  it('works without storage', () => {
    const s = new LayoutStore(null);
    s.resize('workspace', 400);
    expect(s.sizes.workspace).toBe(400);
  });
});
