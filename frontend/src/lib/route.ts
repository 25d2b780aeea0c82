// Addresses of views: the URL's hash names the session, the run, the tab and
// the selected step, as #/s/SESSION/r/RUN/TAB/STEP, so a link (or a reload,
// or back and forward) opens the same view, in `corral serve` and in the
// window alike. The hash, not the path: the asset server and `corral serve`
// serve the UI at / only, and the token query of serve's first URL stays
// apart.

/** Tab is a run tab a route can name. */
export type Tab = 'console' | 'trace' | 'timeline';

/** Route is what a URL names; null parts are not named. */
export interface Route {
  session: string | null;
  run: string | null;
  tab: Tab | null;
  step: number | null;
}

/** EMPTY_ROUTE names nothing (the start page). */
export const EMPTY_ROUTE: Route = { session: null, run: null, tab: null, step: null };

const TABS = new Set<string>(['console', 'trace', 'timeline']);
const ID = /^[\w.:-]{1,128}$/;

/** formatRoute writes a route as a hash ('' for the empty route). */
export function formatRoute(r: Route): string {
  if (!r.session) return '';
  let h = `#/s/${encodeURIComponent(r.session)}`;
  if (!r.run) return h;
  h += `/r/${encodeURIComponent(r.run)}`;
  if (!r.tab) return h;
  h += `/${r.tab}`;
  if (r.step !== null && r.tab !== 'console') h += `/${r.step}`;
  return h;
}

/** parseRoute reads a hash; anything it does not understand is left unnamed. */
export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return '';
    }
  });
  const out: Route = { ...EMPTY_ROUTE };
  if (parts[0] !== 's' || !ID.test(parts[1] ?? '')) return out;
  out.session = parts[1];
  if (parts[2] !== 'r' || !ID.test(parts[3] ?? '')) return out;
  out.run = parts[3];
  if (!TABS.has(parts[4] ?? '')) return out;
  out.tab = parts[4] as Tab;
  const step = Number(parts[5]);
  if (parts[5] && Number.isInteger(step) && step > 0 && out.tab !== 'console') out.step = step;
  return out;
}

/** sameView reports whether two routes show the same session, run and tab (the step may differ). */
export function sameView(a: Route, b: Route): boolean {
  return a.session === b.session && a.run === b.run && a.tab === b.tab;
}
