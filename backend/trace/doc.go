// Package trace turns a run's journal history into one trace model, and moves
// runs in and out of Corral as files.
//
// # What it owns
//
//   - The trace model ([Trace], [Span]): a span for the run, each model call,
//     tool call, approval and sandbox command, with parent links, timings,
//     status, tokens and cost, and a zero-length span for each time the run
//     was resumed after it had stopped part way. [Build] derives it from a run,
//     its steps and its resumes and is a pure function: the UI graph and every exporter use it, so they never
//     disagree. Span and trace ids are derived from the run id and the step
//     sequence, so an export is byte-for-byte stable and a re-imported run has
//     the same ids.
//   - Exports ([Export]): a versioned JSON bundle with the full history
//     (docs/trace-bundle.md), OTLP/JSON with the OpenTelemetry GenAI semantic
//     conventions ([OTLP], [MarshalOTLP], [Push]), and a self-contained HTML
//     report. Before anything leaves, secrets are redacted and, on request,
//     all content is omitted ([Options]).
//   - Import ([Read], [Import]): a bundle, or an OTLP file Corral wrote, is
//     validated completely, within size and depth limits, before a single
//     record is handed to the [Sink].
//   - Replay ([Replayer]): an llm.Model that answers with a record's model
//     responses, so a run can be re-run without calling a model.
//
// # What it must not know
//
// How steps are stored (it reads through [Source] and writes through [Sink],
// both satisfied by the journal), how a run is driven (backend/agent), or how
// providers speak. It reads the run's records (the run.config step, llm, tool
// and approval steps) through backend/record, which decodes every version the
// agent wrote, and nothing else of the agent.
package trace
