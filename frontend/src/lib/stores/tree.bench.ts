// Benchmark of the workspace tree model (npm run bench; make bench): 100,000 entries loaded,
// every directory open, listed as rows, then one live change applied and listed again.
import { bench } from 'vitest';
import type { EntryView } from '../api';
import { TreeModel } from './tree';

const entries: EntryView[] = [];
for (let a = 0; a < 100; a++) {
  entries.push({ path: `dir${a}`, dir: true, size: 0, mod_time: '2025-01-01T00:00:00Z' });
  for (let b = 0; b < 10; b++) {
    entries.push({ path: `dir${a}/sub${b}`, dir: true, size: 0, mod_time: '2025-01-01T00:00:00Z' });
    for (let c = 0; c < 98; c++) entries.push({ path: `dir${a}/sub${b}/file${c}.ts`, size: 1, mod_time: '2025-01-01T00:00:00Z' });
  }
}

bench('tree: load 99,100 entries, open all, rows, apply a change, rows', () => {
  const m = new TreeModel(entries);
  for (const e of entries) if (e.dir) m.expanded.add(e.path);
  m.rows();
  m.apply([{ path: 'dir5/sub5/new.ts', op: 'created', entry: { path: 'dir5/sub5/new.ts', size: 1, mod_time: '2025-01-01T00:00:00Z' } }]);
  m.rows();
});
