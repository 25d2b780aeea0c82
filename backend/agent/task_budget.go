package agent

// The budget a subagent takes from its parent's. Only steps (model calls) for now: per-run
// token and cost caps are another change's (issue #16); when they land, a child's caps come
// from the parent's remaining ones here, in this one place.

// childSteps is the step budget of one of n children started at the parent's model call
// turn: what the parent has left (its max steps less the calls it made), shared among the
// turn's children, and no more than the child's agent allows or the call asks. Every child
// gets at least one.
func childSteps(parentMax, turn, n, agentMax, asked int) int {
	left := parentMax - turn
	if n > 1 {
		left /= n
	}
	steps := max(left, 1)
	if agentMax > 0 {
		steps = min(steps, agentMax)
	}
	if asked > 0 {
		steps = min(steps, asked)
	}
	return steps
}
