// Package record is the one home of what a run leaves in the journal: the step kinds and
// names the agent records, and the records themselves (the run's configuration, a model
// call's input and output, a tool call's input and result, an approval gate's request and
// decision), with the decoding of every version of each that Corral has written.
//
// backend/agent writes these records; backend/trace, backend/changes, app and cli read
// them through this package, so a record changes in one place.
//
// # Versions
//
// Each record kind has a version constant (ConfigVersion, GateVersion, ...), and a record
// may carry it in a "v" member. An absent "v" is version 0: the format every record had
// before versions were named, which is still the current one, so today's records are
// written byte for byte as before (version 0 is not written out). A decoder reads every
// version up to its constant and refuses a newer one with [ErrVersion], rather than
// misreading a record a newer Corral wrote; malformed input is [ErrMalformed].
//
// To change a record: add the new version constant (bump it), keep a decoder for every older
// version (converting to the current type), write the new "v", and keep the golden
// histories of the older versions replaying: they are the proof an old run still resumes.
//
// # What it must not know
//
// How records are stored (journal; decoders take the bytes of a step's input or output),
// how runs are driven (agent), shown (trace, changes, app) or typed in (cli). It imports
// only the value types that appear inside records (llm, tool, approval).
package record
