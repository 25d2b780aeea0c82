// The layout store: the panel sizes a person chose (remembered in
// localStorage) and the window's width, from which the drawn widths follow
// (lib/layout.ts decides how panels give way in a narrow window).

import { clampWidth, fitWidths, parseSizes, type Panel, type Sizes, type Widths } from '../layout';

/** STORAGE_KEY is where the sizes are remembered. */
export const STORAGE_KEY = 'corral.layout.v1';

/** LayoutStore holds the chosen sizes and the window width. */
export class LayoutStore {
  sizes = $state<Sizes>(parseSizes(null));
  window = $state(1440);
  inspectorOpen = $state(false);

  constructor(private storage: Pick<Storage, 'getItem' | 'setItem'> | null) {
    this.sizes = parseSizes(storage?.getItem(STORAGE_KEY) ?? null);
  }

  /** widths are the drawn widths for the current window. */
  get widths(): Widths {
    return fitWidths(this.sizes, this.window, this.inspectorOpen);
  }

  /** resize sets a panel's chosen width (clamped) and remembers it. */
  resize(panel: Panel, w: number) {
    this.sizes = { ...this.sizes, [panel]: clampWidth(panel, w) };
    this.save();
  }

  /** toggle collapses or expands a side panel and remembers it. */
  toggle(panel: 'sidebar' | 'workspace') {
    const key = panel === 'sidebar' ? 'sidebarCollapsed' : 'workspaceCollapsed';
    this.sizes = { ...this.sizes, [key]: !this.sizes[key] };
    this.save();
  }

  private save() {
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify(this.sizes));
    } catch {
      // storage full or denied: the sizes last until the page closes
    }
  }
}

/** layoutStore is the app's one layout. */
export const layoutStore = new LayoutStore(typeof localStorage === 'undefined' ? null : localStorage);
