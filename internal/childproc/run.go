package childproc

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// Run runs a short-lived command (go build, kubectl) in its own process group, so that
// cancelling ctx also stops whatever it started, and returns its stdout and stderr. env is
// added to the parent's environment.
func Run(ctx context.Context, dir string, env []string, stdin string, bin string, args ...string) (stdout, stderr []byte, err error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var outBuf, errBuf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outBuf, &errBuf
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { return signalGroup(cmd.Process, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // see Start: the parent-death signal follows the thread
		err = cmd.Run()
	}()
	<-done
	return outBuf.Bytes(), errBuf.Bytes(), err
}

// Build compiles package pkg of the module at root into out: with the race detector
// when race is set (so that a test run with -race compiles each package once), otherwise as
// `make build` does, static and -trimpath. pkg "." is the manager.
func Build(ctx context.Context, root, out, pkg string, race bool) error {
	args := []string{"build", "-o", out}
	var env []string
	if race {
		args = append(args, "-race")
	} else {
		args = append(args, "-trimpath")
		env = append(env, "CGO_ENABLED=0")
	}
	args = append(args, pkg)
	if _, stderr, err := Run(ctx, root, env, "", goTool(), args...); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, stderr)
	}
	return nil
}

// goTool is the go command on PATH, or the one of the toolchain that built this binary.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return runtime.GOROOT() + "/bin/go"
}
