// Package proc tells processes apart: which process this is, and whether another one, named
// by its pid and start time, still runs on this machine. The journal uses it for run leases
// (one driver per run) and the Docker sandbox for the containers of dead processes.
//
// It must not know what the processes are for.
package proc

import (
	"os"
	"sync"
)

// Self is this process's pid and start time.
func Self() (pid int, start string) { return os.Getpid(), selfStart() }

var selfStart = sync.OnceValue(func() string { return Start(os.Getpid()) })
