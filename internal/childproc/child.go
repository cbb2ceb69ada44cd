package childproc

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// Child is a long-lived process with its output in a log file.
type Child struct {
	Name    string
	LogPath string
	// Started is when the process started.
	Started time.Time

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // cmd.Wait's result, valid after done

	mu       sync.Mutex
	killedAt time.Time // when Kill sent SIGKILL (zero: it did not)
	stopOnce sync.Once
}

// running is every child still alive, so that StopAll stops them whatever the caller did.
var running struct {
	sync.Mutex
	list []*Child
}

// Start starts bin with args and the parent's environment plus env, stdout and stderr going
// to logPath. The child runs on a locked OS thread that lives as long as it does, because
// Linux's parent-death signal fires when the thread that started the child exits.
func Start(name, logPath, bin string, env []string, args ...string) (*Child, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	cmd.SysProcAttr = sysProcAttr()
	c := &Child{Name: name, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // not unlocked: the thread ends with the child
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		c.Started = time.Now()
		running.Lock()
		running.list = append(running.list, c)
		running.Unlock()
		started <- nil
		c.err = cmd.Wait()
		_ = logFile.Close()
		running.Lock()
		for i, o := range running.list {
			if o == c {
				running.list = append(running.list[:i], running.list[i+1:]...)
				break
			}
		}
		running.Unlock()
		close(c.done)
	}()
	if err := <-started; err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	return c, nil
}

// Pid is the child's process id.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// Done is closed when the child has exited.
func (c *Child) Done() <-chan struct{} { return c.done }

// Exited reports whether the child has exited, and cmd.Wait's error if it has.
func (c *Child) Exited() (bool, error) {
	select {
	case <-c.done:
		return true, c.err
	default:
		return false, nil
	}
}

// Kill sends SIGKILL to the child's process group (a crash: nothing is released), waits for
// it to exit, and returns when it was sent.
func (c *Child) Kill() time.Time {
	c.mu.Lock()
	if done, _ := c.Exited(); c.killedAt.IsZero() && !done {
		c.killedAt = time.Now()
		_ = signalGroup(c.cmd.Process, syscall.SIGKILL)
	}
	at := c.killedAt
	c.mu.Unlock()
	<-c.done
	return at
}

// KilledAt is when Kill sent SIGKILL; zero when it did not.
func (c *Child) KilledAt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.killedAt
}

// Killed reports whether Kill ended the child.
func (c *Child) Killed() bool { return !c.KilledAt().IsZero() }

// Stop asks the child to exit (SIGTERM), kills it after grace, and waits for it. It is safe
// to call more than once and from several goroutines.
func (c *Child) Stop(grace time.Duration) {
	c.stopOnce.Do(func() {
		if done, _ := c.Exited(); done {
			return
		}
		_ = signalGroup(c.cmd.Process, syscall.SIGTERM)
		select {
		case <-c.done:
		case <-time.After(grace):
			_ = signalGroup(c.cmd.Process, syscall.SIGKILL)
		}
	})
	<-c.done
}

// ExitSummary says how the child ended: still running, killed by Kill, or its exit status.
func (c *Child) ExitSummary() string {
	done, err := c.Exited()
	switch {
	case !done:
		return "running"
	case c.Killed():
		return "SIGKILL (Kill)"
	case err == nil:
		return "exit 0"
	}
	return err.Error()
}

// StopAll stops every child still running, the newest first.
func StopAll() {
	running.Lock()
	list := append([]*Child(nil), running.list...)
	running.Unlock()
	for i := len(list) - 1; i >= 0; i-- {
		list[i].Stop(5 * time.Second)
	}
}
