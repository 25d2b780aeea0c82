import { describe, expect, it } from 'vitest';
import { DEFAULT_SIZES, LIMITS, MIN_MAIN, SPLITTER, clampWidth, fitWidths, keyResize, parseSizes } from './layout';

describe('parseSizes', () => {
  it.each([
    { name: 'nothing stored', raw: null, want: DEFAULT_SIZES },
    { name: 'damaged', raw: '{not json', want: DEFAULT_SIZES },
    { name: 'not an object', raw: '42', want: DEFAULT_SIZES },
    { name: 'stored', raw: '{"sidebar":300,"workspace":250,"inspector":500,"sidebarCollapsed":true}', want: { sidebar: 300, workspace: 250, inspector: 500, sidebarCollapsed: true, workspaceCollapsed: false } },
    { name: 'out of range', raw: '{"sidebar":5,"inspector":99999}', want: { ...DEFAULT_SIZES, sidebar: LIMITS.sidebar.min, inspector: LIMITS.inspector.max } },
    { name: 'wrong types', raw: '{"sidebar":"wide","workspaceCollapsed":"yes"}', want: DEFAULT_SIZES },
  ])('$name', ({ raw, want }) => {
    expect(parseSizes(raw)).toEqual(want);
  });
});

describe('fitWidths', () => {
  const main = (w: ReturnType<typeof fitWidths>, win: number) => win - w.sidebar - w.workspace - w.inspector - 3 * SPLITTER;

  it('gives the chosen widths when there is room', () => {
    expect(fitWidths(DEFAULT_SIZES, 1440, true)).toEqual({ sidebar: 240, workspace: 300, inspector: 360 });
  });

  it('keeps the middle useful at 1024 px with the inspector open, narrowing the inspector first', () => {
    const w = fitWidths(DEFAULT_SIZES, 1024, true);
    expect(main(w, 1024)).toBeGreaterThanOrEqual(MIN_MAIN);
    expect(w.inspector).toBe(LIMITS.inspector.min);
    expect(w.sidebar).toBeGreaterThanOrEqual(LIMITS.sidebar.min);
  });

  it('gives the graph the whole middle when the side panels are collapsed', () => {
    const w = fitWidths({ ...DEFAULT_SIZES, sidebarCollapsed: true, workspaceCollapsed: true }, 1024, true);
    expect(w).toEqual({ sidebar: 0, workspace: 0, inspector: 360 });
  });

  it('hides the workspace below 760 px and never goes below the least widths', () => {
    const w = fitWidths(DEFAULT_SIZES, 700, true);
    expect(w.workspace).toBe(0);
    expect(w.inspector).toBe(LIMITS.inspector.min);
    expect(w.sidebar).toBe(LIMITS.sidebar.min);
  });
});

describe('keyResize', () => {
  it.each([
    { key: 'ArrowRight', shift: false, grows: 'ArrowRight' as const, want: 256 },
    { key: 'ArrowLeft', shift: false, grows: 'ArrowRight' as const, want: 224 },
    { key: 'ArrowLeft', shift: true, grows: 'ArrowLeft' as const, want: 304 },
    { key: 'Home', shift: false, grows: 'ArrowRight' as const, want: LIMITS.sidebar.min },
    { key: 'End', shift: false, grows: 'ArrowRight' as const, want: LIMITS.sidebar.max },
    { key: 'a', shift: false, grows: 'ArrowRight' as const, want: null },
  ])('$key (shift $shift, grows with $grows)', ({ key, shift, grows, want }) => {
    expect(keyResize('sidebar', 240, key, shift, grows)).toBe(want);
  });

  it('clamps', () => {
    expect(clampWidth('sidebar', 10_000)).toBe(LIMITS.sidebar.max);
    expect(clampWidth('sidebar', NaN)).toBe(LIMITS.sidebar.min);
  });
});
