package childproc

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestStartWritesTheLogAndReportsTheExit(t *testing.T) {
	log := filepath.Join(t.TempDir(), "c.log")
	c, err := Start("echo", log, "sh", []string{"CHILDPROC_TEST=set"}, "-c", `echo "out $CHILDPROC_TEST"; echo err >&2; exit 3`)
	if err != nil {
		t.Fatal(err)
	}
	<-c.Done()
	if got := c.ExitSummary(); got != "exit status 3" {
		t.Errorf("ExitSummary %q, want exit status 3", got)
	}
	b, _ := os.ReadFile(log)
	if string(b) != "out set\nerr\n" {
		t.Errorf("log %q", b)
	}
}

// Kill ends the whole process group, and says so; Stop and StopAll end what is left.
func TestKillAndStopEndTheGroup(t *testing.T) {
	dir := t.TempDir()
	// The shell's child sleeps: only a signal to the group ends it before the shell's wait.
	k, err := Start("kill", filepath.Join(dir, "k.log"), "sh", nil, "-c", "sleep 60 & wait")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start("stop", filepath.Join(dir, "s.log"), "sh", nil, "-c", "sleep 60 & wait")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if at := k.Kill(); at.IsZero() || !k.Killed() || k.ExitSummary() != "SIGKILL (Kill)" {
		t.Errorf("after Kill: at %v, killed %v, %q", at, k.Killed(), k.ExitSummary())
	}
	StopAll()
	if done, _ := s.Exited(); !done || s.Killed() {
		t.Errorf("after StopAll: exited %v, killed by Kill %v", done, s.Killed())
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("ending both took %v: the sleeps outlived their shells' signals", d)
	}
}

func TestRunStopsTheGroupWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := Run(ctx, "", nil, "", "sh", "-c", "sleep 60 & wait")
	if err == nil || time.Since(start) > 10*time.Second {
		t.Fatalf("Run after its context ended: %v after %v", err, time.Since(start))
	}
	out, _, err := Run(context.Background(), "", []string{"CHILDPROC_TEST=x"}, "in", "sh", "-c", `cat; echo $CHILDPROC_TEST`)
	if err != nil || string(out) != "inx\n" {
		t.Fatalf("Run: %q, %v", out, err)
	}
}
