// Package journal is Corral's durable step store: sessions, runs and the
// history of steps of each run, kept in one SQLite file. It is the only
// package with SQL in it.
//
// # What it owns
//
//   - The database file: opening it with WAL, synchronous=FULL, foreign keys
//     and a busy timeout, checking those settings took effect, and telling a
//     corrupt or foreign file, a locked database and a full disk apart
//     ([ErrCorrupt], [ErrLocked], [ErrDiskFull]).
//   - The schema, as embedded numbered migrations (migrations/0001_init.sql,
//     ...), each applied in one transaction and recorded in PRAGMA
//     user_version. A file written by a newer Corral is refused with
//     [ErrSchemaTooNew] instead of being misread.
//   - Steps. A step is keyed by (run, seq) and carries a name and a kind.
//     [Journal.Step] looks the key up: a completed step is replayed (its
//     recorded output is returned and the function is not called), a failed
//     one returns [*StepFailedError], a different name or kind at that seq is a
//     [*NondeterminismError], and an absent step is recorded as started,
//     run, then recorded as completed or failed. A step found started was cut
//     off by a crash: it runs again if it was declared idempotent, otherwise
//     [*InterruptedError] asks a person to [Journal.Resolve] it (rerun, skip
//     or fail).
//   - The replay rule, in one place: [Journal.Cursor] loads a run's history
//     once and hands out its steps in seq order ([Cursor.Step], [Cursor.Begin],
//     [Cursor.Record], [Cursor.Peek] to look at the next without advancing),
//     and every disagreement between code and history is one
//     [*NondeterminismError] that says whether a step is missing, extra or
//     different.
//   - Sessions and runs, with run summaries (step count, tokens and cost)
//     kept on the run by triggers on its steps (so listing runs reads no
//     step), and each run's resumes ([Resume]: when it
//     was driven again after stopping part way, after which step, why).
//
// # What it must not know
//
// Nothing about agents, models, prompts, tools, sandboxes or approvals. Step
// names and kinds ("llm", "tool", "approval", ...) are free text, inputs and
// outputs are opaque bytes (JSON by convention), and a run's agent, prompt
// and sandbox are strings it stores and returns. Deciding what a step is, and
// what its output means, belongs to the caller (backend/agent).
//
// # Durability and cost of a step
//
// A step writes two records, each its own committed transaction: a small
// INSERT of the started row, then a single UPDATE with the output. The
// started record must be on disk before the side effect runs (otherwise a
// crash could repeat a side effect nobody knows happened), so it is committed
// on a connection with synchronous=FULL: the commit waits for fsync of the
// write-ahead log.
//
// The completed (or failed) record is committed on a second connection with
// synchronous=NORMAL: it is committed and visible at once, survives a crash
// of the process (the data is in the operating system's cache), and becomes
// durable against power loss with the next FULL commit, because the WAL is
// append-only and fsync of it covers every earlier frame. The next FULL
// commit is normally the started record of the run's next step, or the
// run's status change ([Journal.SetRunStatus]) when it finishes or waits for
// approval. This is the "complete step N together with starting step N+1"
// batching done by the file system instead of by holding records in memory.
// If power is lost in between, the step reads back as started: an idempotent
// step runs again, any other is reported interrupted; a step is never read
// back completed without having completed, and a record is never half
// written (WAL frames carry cumulative checksums, so a torn tail is
// discarded). A step therefore costs one fsync: on the development machine
// (ext4, 2 cores) about 1.2x a plain prepared INSERT and COMMIT with the
// same pragmas, against about 1.8x when every completion pays its own fsync
// ([Options.DurableFinish]); see journal_bench_test.go.
//
// [Journal.BeginLazy] and [Journal.RecordLazy] commit on the second
// connection too: for records that are harmless to make again when a power
// loss drops them and that a durable record soon follows. The agent's
// approval gate uses them: its decision is carried to disk by the started
// record of the tool step it allows, before the action runs, so a side-effect
// step costs two fsyncs (model call and tool), not four.
//
// The other design offered for the same goal, skipping the fsync of the
// started record for idempotent steps, was not taken: it saves nothing for
// the steps that matter most (non-idempotent tools) and would let a power
// loss forget that an expensive model call was made.
//
// # Concurrency
//
// Writes in one process are serialized by the Journal (one at a time, in Go,
// so they never wait in SQLite's busy handler); reads run in parallel on
// their own connections, which WAL allows alongside the writer. Another
// process holding the write lock longer than the busy timeout makes a write
// fail with [ErrLocked]. Each run is meant to be driven by one goroutine;
// steps of different runs may run concurrently.
package journal
