//go:build !linux

package childproc

import (
	"os"
	"syscall"
)

// sysProcAttr: outside Linux there is no parent-death signal; the caller's StopAll stops the
// children.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// signalGroup signals the child itself (no process group outside Linux here).
func signalGroup(p *os.Process, sig syscall.Signal) error {
	if sig == syscall.SIGKILL {
		return p.Kill()
	}
	return p.Signal(sig)
}
