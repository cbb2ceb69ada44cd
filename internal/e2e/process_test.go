package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process is a child the test started (the manager, the emulator) with its output in a file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{} // closed when the child has exited
	err     error         // cmd.Wait's result, valid after done

	stopOnce sync.Once
}

// running tracks every child still alive, so that TestMain's teardown, its signal handler
// and its -timeout watchdog can stop them whatever the tests did.
var running struct {
	sync.Mutex
	procs []*process
}

// startProcess starts bin with args, stdout and stderr going to logPath. The child runs on
// a locked OS thread that lives as long as it does, because Linux's parent-death signal
// (sysProcAttr) fires when the thread that started the child exits.
func startProcess(name, logPath, bin string, args ...string) (*process, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = sysProcAttr()
	p := &process{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}

	started := make(chan error, 1)
	go func() {
		// Not unlocked on purpose: the thread ends with this goroutine, after the child.
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		running.Lock()
		running.procs = append(running.procs, p)
		running.Unlock()
		started <- nil
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	if err := <-started; err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	return p, nil
}

// exited reports whether the child has exited, and how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// stop asks the child to exit (SIGTERM), kills it (SIGKILL) after grace, and waits for it.
// It is safe to call more than once and from several goroutines.
func (p *process) stop(grace time.Duration) {
	p.stopOnce.Do(func() {
		if done, _ := p.exited(); !done {
			_ = signalGroup(p.cmd.Process, syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(grace):
				_ = signalGroup(p.cmd.Process, syscall.SIGKILL)
				<-p.done
			}
		}
		running.Lock()
		defer running.Unlock()
		for i, q := range running.procs {
			if q == p {
				running.procs = append(running.procs[:i], running.procs[i+1:]...)
				break
			}
		}
	})
	<-p.done
}

// stopAllProcesses stops every child still running, the newest first.
func stopAllProcesses() {
	running.Lock()
	procs := append([]*process(nil), running.procs...)
	running.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		procs[i].stop(5 * time.Second)
	}
}

// runCommand runs a short-lived command (go build, kubectl) in its own process group, so
// that cancelling ctx also stops whatever it started, and returns its stdout and stderr.
func runCommand(ctx context.Context, dir string, env []string, stdin string, bin string, args ...string) (stdout, stderr []byte, err error) {
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
		runtime.LockOSThread() // see startProcess: the parent-death signal follows the thread
		err = cmd.Run()
	}()
	<-done
	return outBuf.Bytes(), errBuf.Bytes(), err
}
