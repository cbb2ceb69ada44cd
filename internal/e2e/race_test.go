//go:build race

package e2e

// raceEnabled: the test runs with -race (as `make test` runs it), so the manager is built
// with -race too. It shares the build cache with the unit tests' compile of the Graph SDK,
// and the real binary runs under the race detector.
const raceEnabled = true
