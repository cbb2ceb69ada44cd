// Command graph-emulator serves the Graph emulator (internal/graphemu) as a standalone
// process: Microsoft Graph v1.0 for PIM-for-Groups assignment schedule requests under /v1.0,
// and a control API under /_emulator/. Point the manager at it with
// --graph-base-url=http://127.0.0.1:8081/v1.0 --graph-auth=none.
//
// Usage:
//
//	go run ./hack/graph-emulator [--listen 127.0.0.1:8081] [--min-active-age 5m]
//	    [--list-lag 0s] [--provisioning-delay 0s] [--require-token TOKEN]
//	    [--unscoped-list-empty] [--seed 1]
//
// It prints the base URL (http://ADDR/v1.0) once it listens and stops on SIGINT or SIGTERM.
// The clock runs in real time; the control API moves it forward.
//
// # Control API
//
// Durations are Go duration strings, times RFC 3339. Control calls need no token and are
// not recorded in the call log.
//
//	GET    /_emulator/clock                      {"now": …}
//	POST   /_emulator/clock/advance              {"duration":"10m"}
//	GET    /_emulator/settings
//	PUT    /_emulator/settings                   any of {"minActiveAge","listLag","provisioningDelay","requireToken","unscopedListEmpty"}
//	PUT    /_emulator/groups/{groupId}/approval  {"required":true}
//	POST   /_emulator/activations                {"principalId","groupId","accessId","justification","duration"}
//	POST   /_emulator/assignments                {"principalId","groupId","accessId","justification","start","duration"}
//	GET    /_emulator/requests                   GET /_emulator/requests/{id}
//	POST   /_emulator/requests/{id}/approve|deny|purge
//	PUT    /_emulator/requests/{id}/status       {"status":"PendingAdminDecision"}
//	GET    /_emulator/schedules
//	GET|POST|DELETE /_emulator/faults            {"operation","action","status","code","message","retryAfter","body","contentType","latency","dropAfterApply","rate","count"}
//	GET|DELETE /_emulator/calls
//	POST   /_emulator/reset
//
// Examples:
//
//	# Graph itself: assign, then list by principal.
//	curl -s -X POST http://127.0.0.1:8081/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests \
//	     -H 'Content-Type: application/json' \
//	     -d '{"action":"adminAssign","accessId":"member","principalId":"3cce9d87-3986-4f19-8335-7ed075408ca2",
//	          "groupId":"2b5ed229-4072-478d-9504-a047ebd4b07d",
//	          "scheduleInfo":{"expiration":{"type":"afterDuration","duration":"PT8H"}}}'
//	curl -s "http://127.0.0.1:8081/v1.0/identityGovernance/privilegedAccess/group/assignmentScheduleRequests?\$filter=principalId%20eq%20'3cce9d87-3986-4f19-8335-7ed075408ca2'"
//
//	# Move time past Graph's 5-minute minimum, then adminRemove is accepted.
//	curl -s -X POST http://127.0.0.1:8081/_emulator/clock/advance -d '{"duration":"5m"}'
//
//	# Make lists eventually consistent and creates slow to provision.
//	curl -s -X PUT http://127.0.0.1:8081/_emulator/settings -d '{"listLag":"5s","provisioningDelay":"3s"}'
//
//	# Throttle the next create, then drop the answer of the one after (the change still happens).
//	curl -s -X POST http://127.0.0.1:8081/_emulator/faults -d '{"operation":"createRequest","status":429,"retryAfter":"2s","count":1}'
//	curl -s -X POST http://127.0.0.1:8081/_emulator/faults -d '{"operation":"createRequest","dropAfterApply":true,"count":1}'
//
//	# A user's activation waiting for approval, then approve it.
//	curl -s -X PUT  http://127.0.0.1:8081/_emulator/groups/2b5ed229-4072-478d-9504-a047ebd4b07d/approval -d '{"required":true}'
//	curl -s -X POST http://127.0.0.1:8081/_emulator/activations \
//	     -d '{"principalId":"3cce9d87-3986-4f19-8335-7ed075408ca2","groupId":"2b5ed229-4072-478d-9504-a047ebd4b07d","duration":"2h"}'
//	curl -s -X POST http://127.0.0.1:8081/_emulator/requests/{id}/approve
//
//	# What the client called.
//	curl -s http://127.0.0.1:8081/_emulator/calls
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pim-operator/pim-operator/internal/graphemu"
)

func main() {
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	listen := flag.String("listen", "127.0.0.1:8081", "address to listen on")
	minActiveAge := flag.Duration("min-active-age", graphemu.DefaultMinActiveAge, "minimum age of an active assignment before adminRemove (0 disables)")
	listLag := flag.Duration("list-lag", 0, "how long a new request stays out of filtered lists")
	provisioningDelay := flag.Duration("provisioning-delay", 0, "how long a new adminAssign stays PendingProvisioning")
	requireToken := flag.String("require-token", "", `when set, Graph calls need "Authorization: Bearer <token>"`)
	unscopedListEmpty := flag.Bool("unscoped-list-empty", false, "answer a list without an eq on principalId or groupId with an empty list instead of 400")
	seed := flag.Uint64("seed", 1, "seed of the random source behind fault rates")
	flag.Parse()

	emu := graphemu.New(graphemu.Options{
		ListLag:           *listLag,
		ProvisioningDelay: *provisioningDelay,
		RequireToken:      *requireToken,
		UnscopedListEmpty: *unscopedListEmpty,
		Seed:              *seed,
	})
	// The flag is taken literally: 0 means no minimum.
	emu.SetMinActiveAge(*minActiveAge)

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("http://%s/v1.0\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
