package local

// Protection is one kernel protection of local commands and whether it is in
// force on this machine.
type Protection struct {
	// Name says what the protection does, e.g. "pid namespace".
	Name string `json:"name"`
	// Active reports that every local command runs under it.
	Active bool `json:"active"`
	// Detail says how it is enforced, or why it is missing.
	Detail string `json:"detail"`
}

// Confinement is what the local sandbox can enforce on this machine, as
// measured by starting a confined command (see Probe).
type Confinement struct {
	// Mechanism names how commands are confined: "namespaces+landlock",
	// "landlock", "seatbelt" or "none".
	Mechanism string `json:"mechanism"`
	// Launcher is the binary that confines each command: corral-sandbox-init
	// next to Corral, or Corral itself ("/proc/self/exe"); empty when none.
	Launcher string `json:"launcher,omitempty"`
	// LandlockABI is the kernel's Landlock ABI version; 0 when absent.
	LandlockABI int `json:"landlock_abi"`
	// Protections lists each protection, active or missing.
	Protections []Protection `json:"protections"`
}

// Missing returns the protections that are not in force.
func (c Confinement) Missing() []Protection {
	var out []Protection
	for _, p := range c.Protections {
		if !p.Active {
			out = append(out, p)
		}
	}
	return out
}

// Probe reports the confinement local commands get on this machine. The
// first call starts a confined command to see what the kernel allows; later
// calls return the same answer.
func Probe() Confinement { return probe() }
