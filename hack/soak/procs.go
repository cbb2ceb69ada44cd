package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pim-operator/pim-operator/internal/childproc"
)

// tail returns the last n lines of a file.
func tail(path string, n int) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// exited reports whether a child has exited.
func exited(c *childproc.Child) bool {
	done, _ := c.Exited()
	return done
}

// buildBinaries compiles the manager (the module's main package, as `make build` does, or with
// the race detector when the CI test runs with it, so that the packages compile once for the
// whole `go test ./...`) and the Graph emulator into dir, both at once.
func buildBinaries(ctx context.Context, root, dir string, race bool, logf func(string, ...any)) (manager, emulator string, err error) {
	build := func(name, pkg string) (string, error) {
		start := time.Now()
		out := filepath.Join(dir, name)
		if err := childproc.Build(ctx, root, out, pkg, race); err != nil {
			return "", err
		}
		logf("built %s in %s", name, time.Since(start).Round(time.Second))
		return out, nil
	}
	var merr, eerr error
	var wg sync.WaitGroup
	wg.Go(func() { manager, merr = build("manager", ".") })
	wg.Go(func() { emulator, eerr = build("graph-emulator", "./hack/graph-emulator") })
	wg.Wait()
	if merr != nil {
		return "", "", merr
	}
	if eerr != nil {
		return "", "", eerr
	}
	return manager, emulator, nil
}
