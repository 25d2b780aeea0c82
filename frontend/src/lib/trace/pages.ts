// The pages of a run opened as an outline (Traces.Outline: its steps without their content).
// The views ask for the content of the steps they show, a page of steps at a time
// (Traces.Steps); Pages remembers which pages were asked for, so a view that redraws asks
// once, and a page that failed can be asked for again.

/** PAGE_STEPS is how many steps one content request covers. */
export const PAGE_STEPS = 100;

/** MAX_PAGES_AT_ONCE bounds how many pages one view request fetches (a view far zoomed out
 * draws no labels and does not ask). */
export const MAX_PAGES_AT_ONCE = 4;

/** pageOf is the page of a step: steps 1..PAGE_STEPS are page 0. */
export function pageOf(seq: number): number {
  return Math.floor((Math.max(1, seq) - 1) / PAGE_STEPS);
}

/** pageRange is the first and last seq of a page. */
export function pageRange(page: number): { from: number; to: number } {
  return { from: page * PAGE_STEPS + 1, to: (page + 1) * PAGE_STEPS };
}

/** Pages tracks the content requests of one run's outline. */
export class Pages {
  #asked = new Set<number>();

  /** want returns the pages covering from..to not asked for yet (at most MAX_PAGES_AT_ONCE,
   * nearest to from first) and marks them asked. */
  want(from: number, to: number): number[] {
    if (!(to >= from)) return [];
    const out: number[] = [];
    for (let p = pageOf(from); p <= pageOf(to) && out.length < MAX_PAGES_AT_ONCE; p++) {
      if (this.#asked.has(p)) continue;
      this.#asked.add(p);
      out.push(p);
    }
    return out;
  }

  /** failed forgets a page, so it is asked for again. */
  failed(page: number): void {
    this.#asked.delete(page);
  }

  /** forget forgets the page of each seq (their content was replaced by a newer outline). */
  forget(seqs: Iterable<number>): void {
    for (const s of seqs) this.#asked.delete(pageOf(s));
  }

  /** asked reports whether a page was asked for. */
  asked(page: number): boolean {
    return this.#asked.has(page);
  }
}
