//go:build race

package main

// raceEnabled: the test runs with -race (as `make test` runs it), so the plugin is built with
// -race too and shares the build cache.
const raceEnabled = true
