package childproc

import (
	"os"
	"syscall"
)

// sysProcAttr puts a child in its own process group (so that stopping it stops whatever it
// started, a go build's compilers included) and has the kernel kill it if the parent dies
// without cleaning up (a panic, go test's -timeout). The parent-death signal is tied to the
// thread that started the child: Start and Run keep that thread for the child's life.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends sig to the child's whole process group.
func signalGroup(p *os.Process, sig syscall.Signal) error {
	return syscall.Kill(-p.Pid, sig)
}
