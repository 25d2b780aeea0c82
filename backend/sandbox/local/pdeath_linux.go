package local

import "syscall"

// dieWithParent has the kernel kill the command's shell if Corral itself dies (a crash, a
// kill -9): a command must not go on changing the workspace behind a run that the journal
// records as cut off.
func dieWithParent(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
