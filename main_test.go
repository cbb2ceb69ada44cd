package main

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// The manager refuses a flag value it cannot act on at start (and takes one it can), with a message naming the flag,
// instead of running with a default the operator did not choose.
func TestParseFlagsRefusesBadValues(t *testing.T) {
	for args, want := range map[string]string{
		"--group-policy-check=warn":         "--group-policy-check",
		"--policy-mode=audit":               "policy",
		"--graph-write-qps=0":               "--graph-write-qps",
		"--max-concurrent-reconciles=0":     "--max-concurrent-reconciles",
		"--graph-timeout=0s":                "--graph-timeout",
		"--leader-elect-lease-duration=10s": "--leader-elect-lease-duration",
		"--leader-elect-renew-deadline=2s":  "--leader-elect-renew-deadline",
		"--leader-elect-retry-period=0s":    "--leader-elect-retry-period",
		"--startup-read-spread=-1s":         "--startup-read-spread",
		"--startup-read-spread=0s":          "",
		"--leader-elect-lease-duration=60s --leader-elect-renew-deadline=40s": "",
	} {
		fs := flag.NewFlagSet("manager", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		_, err := parseFlags(fs, strings.Fields(args))
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v, want it accepted", args, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error naming %s", args, err, want)
		}
	}
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	f, err := parseFlags(fs, []string{"--group-policy-check=enforce"})
	if err != nil || f.groupPolicyCheck != "enforce" {
		t.Errorf("--group-policy-check=enforce: %+v, %v", f, err)
	}
	fs = flag.NewFlagSet("manager", flag.ContinueOnError)
	if f, err := parseFlags(fs, nil); err != nil || f.groupPolicyCheck != "off" {
		t.Errorf("the default: %+v, %v; want --group-policy-check off", f, err)
	}
}
