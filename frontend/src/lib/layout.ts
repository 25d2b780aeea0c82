// The shape of the window: the widths of the sessions sidebar, the workspace
// panel and the step inspector, which of the two side panels are collapsed,
// and how they give way in a narrow window so the middle (the console or the
// graph) keeps a useful width. Pure functions; the store
// (stores/layout.svelte.ts) keeps the sizes and remembers them.

/** Panel names a resizable panel. */
export type Panel = 'sidebar' | 'workspace' | 'inspector';

/** Sizes are the widths (px) a person chose, and which side panels they collapsed. */
export interface Sizes {
  sidebar: number;
  workspace: number;
  inspector: number;
  sidebarCollapsed: boolean;
  workspaceCollapsed: boolean;
}

/** DEFAULT_SIZES are the widths before anyone drags. */
export const DEFAULT_SIZES: Sizes = { sidebar: 240, workspace: 300, inspector: 360, sidebarCollapsed: false, workspaceCollapsed: false };

/** LIMITS are each panel's least and greatest width. */
export const LIMITS: Record<Panel, { min: number; max: number }> = {
  sidebar: { min: 160, max: 480 },
  workspace: { min: 200, max: 640 },
  inspector: { min: 280, max: 900 },
};

/** MIN_MAIN is the width the middle keeps (the graph beside an open inspector) before panels give way. */
export const MIN_MAIN = 360;

/** SPLITTER is the width of a drag handle between two panels. */
export const SPLITTER = 5;

/** clampWidth keeps a width within its panel's limits. */
export function clampWidth(panel: Panel, w: number): number {
  const { min, max } = LIMITS[panel];
  return Math.round(Math.min(max, Math.max(min, Number.isFinite(w) ? w : min)));
}

/** parseSizes reads stored sizes, falling back to the defaults for anything missing or wrong. */
export function parseSizes(raw: string | null): Sizes {
  let v: Partial<Record<keyof Sizes, unknown>> = {};
  try {
    const parsed: unknown = raw ? JSON.parse(raw) : {};
    if (parsed && typeof parsed === 'object') v = parsed as typeof v;
  } catch {
    // a damaged value: the defaults
  }
  const num = (p: Panel) => (typeof v[p] === 'number' ? clampWidth(p, v[p] as number) : DEFAULT_SIZES[p]);
  return {
    sidebar: num('sidebar'),
    workspace: num('workspace'),
    inspector: num('inspector'),
    sidebarCollapsed: v.sidebarCollapsed === true,
    workspaceCollapsed: v.workspaceCollapsed === true,
  };
}

/** Widths are what is drawn: 0 for a collapsed or hidden panel. */
export interface Widths {
  sidebar: number;
  workspace: number;
  inspector: number;
}

/**
 * fitWidths gives the panels their chosen widths when the window has room, and otherwise
 * narrows them (the inspector first, then the workspace, then the sidebar, each down to its
 * least width) so the middle keeps MIN_MAIN; below 760 px the workspace is not shown.
 * The chosen sizes are not changed: a wider window gives the widths back.
 */
export function fitWidths(s: Sizes, window: number, inspectorOpen: boolean): Widths {
  const w: Widths = {
    sidebar: s.sidebarCollapsed ? 0 : s.sidebar,
    workspace: s.workspaceCollapsed || window < 760 ? 0 : s.workspace,
    inspector: inspectorOpen ? s.inspector : 0,
  };
  let over = w.sidebar + w.workspace + w.inspector + (inspectorOpen ? 3 : 2) * SPLITTER + MIN_MAIN - window;
  for (const p of ['inspector', 'workspace', 'sidebar'] as const) {
    if (over <= 0) break;
    if (w[p] === 0) continue;
    const give = Math.min(over, w[p] - LIMITS[p].min);
    if (give > 0) {
      w[p] -= give;
      over -= give;
    }
  }
  return w;
}

/** KEY_STEP is how far an arrow key moves a splitter; with Shift, KEY_STEP_BIG. */
export const KEY_STEP = 16;
export const KEY_STEP_BIG = 64;

/** keyResize returns the width after a key on a splitter (null: not a resize key). grows says
 * which arrow widens the panel: a panel on the left grows to the right. */
export function keyResize(panel: Panel, w: number, key: string, shift: boolean, grows: 'ArrowRight' | 'ArrowLeft'): number | null {
  const step = shift ? KEY_STEP_BIG : KEY_STEP;
  const shrinks = grows === 'ArrowRight' ? 'ArrowLeft' : 'ArrowRight';
  if (key === grows) return clampWidth(panel, w + step);
  if (key === shrinks) return clampWidth(panel, w - step);
  if (key === 'Home') return LIMITS[panel].min;
  if (key === 'End') return LIMITS[panel].max;
  return null;
}
