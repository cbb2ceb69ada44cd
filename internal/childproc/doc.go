// Package childproc runs the processes that the end-to-end test, the benchmark and the soak
// start next to themselves (bin/manager replicas, the Graph emulator, go build, kubectl): each
// in its own process group, so that a signal reaches whatever it started, with its output in a
// log file, and, on Linux, killed by the kernel when the parent dies without cleaning up.
package childproc
