// Package approval is the human gate in front of the agent's tools. It owns
// the policies (per agent: how exec, file writes and reads outside the
// workspace are treated), the rules (allow, ask and deny lists at global,
// agent and session scope, such as exec(git status *) or write(src/**)),
// the rule engine that parses a command as shell and judges each simple
// command on its own, the previews a person sees before deciding (parsed
// command segments with risk hints, file diffs, resolved paths), the
// decisions a person can make as data (Answer), the hash that binds a
// decision to one exact action, and the Ledger of remembered rules
// (rules.json in the data directory).
//
// The flow for one tool call: Check says allow, ask or deny; on ask,
// Prepare builds the Request (preview, action hash, suggested rules) a
// person sees; their Answer, validated against the Request, gives the
// Outcome: run (maybe with edited input, with a note for the model) or a
// model-visible refusal.
//
// Package approval must not know how a run waits for a person, how steps
// are journaled, which UI shows a Request, or how a tool runs: it reads
// files only through the small FileReader it is given, and has no SQL,
// events or goroutines.
package approval
