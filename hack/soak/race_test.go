//go:build race

package main

// raceEnabled: this test binary was built with -race, and builds the binaries it runs likewise.
const raceEnabled = true
