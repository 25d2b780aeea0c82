// What a compaction step records as its input (record.CompactInput), and why it ran in
// words, for the console line and the inspector's CompactionView.

/** CompactWhy is a compaction step's input (record.CompactInput). */
export interface CompactWhy {
  reason?: string;
  messages?: number;
  summarized?: number;
  tokens?: number;
  window?: number;
}

const REASONS: Record<string, string> = {
  threshold: 'the next request would have passed the compaction threshold',
  too_long: 'the provider answered that the prompt was too long',
  manual: 'a person asked for it',
};

/** compactionReason says why a compaction ran, from its recorded reason. */
export function compactionReason(reason: string | undefined): string {
  return REASONS[reason ?? ''] ?? 'compacted';
}
