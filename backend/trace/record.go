package trace

import (
	"github.com/corral-dev/corral/backend/journal"
	"github.com/corral-dev/corral/backend/record"
)

// readConfig returns the run's recorded configuration (backend/record decodes every version
// the agent wrote), or what could be read of it: the zero value when there is none.
func readConfig(steps []journal.Step) record.RunConfig {
	for _, st := range steps {
		if st.Kind == record.KindConfig && st.Status == journal.StepCompleted {
			cfg, _ := record.DecodeConfig(st.Output) // an unreadable config leaves what could be read
			return cfg
		}
	}
	return record.RunConfig{}
}
