// Command graph-emulator serves the Graph emulator (internal/graphemu) as a standalone
// process: Microsoft Graph v1.0 for PIM for Groups (assignment and eligibility schedule
// requests, schedules and instances) under /v1.0, and a control API under /_emulator/. Point
// the manager at it with --graph-base-url=http://127.0.0.1:8081/v1.0 --graph-auth=none.
//
// Usage:
//
//	go run ./hack/graph-emulator [--listen 127.0.0.1:8081] [--min-active-age 5m]
//	    [--eligibility-min-active-age 0s] [--list-lag 0s] [--provisioning-delay 0s]
//	    [--require-token TOKEN] [--unscoped-list-empty] [--capitalized-member-types]
//	    [--documented-group-policies] [--group-policy GROUP[/ACCESS][=JSON]]...
//	    [--eligibility PRINCIPAL/GROUP[/ACCESS]]... [--seed 1]
//	    [--write-budget 3000 [--write-budget-window 150s]]
//
// --eligibility seeds an eligibility made in the portal (repeatable), so that activations can
// be seeded at once. --group-policy sets a group's PIM policy (repeatable; for member and owner
// unless ACCESS is given), which the emulator serves under /v1.0/policies and enforces on
// adminAssign: JSON is the control API's, absent parts as Graph's group examples show them
// (an end required, eligibilities of at most P365D, active assignments of at most P180D with
// a justification), e.g.
//
//	--group-policy '2b5ed229-4072-478d-9504-a047ebd4b07d={"assignment":{"maximumDuration":"PT8H","enabledRules":["MultiFactorAuthentication"]}}'
//
// Other groups have an unrestricted policy, or with --documented-group-policies the examples'
// defaults. It prints the base URL (http://ADDR/v1.0) once it listens and stops on
// SIGINT or SIGTERM. The clock runs in real time; the control API moves it forward.
//
// # Control API
//
// Durations are Go duration strings, times RFC 3339. Control calls need no token and are
// not recorded in the call log. internal/graphemu's package documentation describes each.
//
//	GET    /_emulator/clock                      {"now": …}
//	POST   /_emulator/clock/advance              {"duration":"10m"}
//	GET    /_emulator/settings
//	PUT    /_emulator/settings                   any of {"minActiveAge","eligibilityMinActiveAge","listLag","provisioningDelay",
//	                                             "requireToken","unscopedListEmpty","capitalizedMemberTypes","documentedGroupPolicies"}
//	PUT    /_emulator/groups/{groupId}/approval  {"required":true}
//	PUT|GET|DELETE /_emulator/groups/{groupId}/policy  {"accessId","assignment":{"expirationRequired","maximumDuration","enabledRules"},"eligibility":{…}}
//	POST   /_emulator/eligibilities              {"principalId","groupId","accessId","justification","start","duration"}
//	POST   /_emulator/activations                {"principalId","groupId","accessId","justification","duration"} (needs an eligibility)
//	POST   /_emulator/assignments                {"principalId","groupId","accessId","justification","start","duration"}
//	GET    /_emulator/requests                   GET /_emulator/requests/{id}   GET /_emulator/eligibilityRequests
//	POST   /_emulator/requests/{id}/approve|deny|purge
//	PUT    /_emulator/requests/{id}/status       {"status":"PendingAdminDecision"}
//	GET    /_emulator/schedules                  GET /_emulator/eligibilitySchedules
//	GET|POST|DELETE /_emulator/faults            {"kind","operation","action","status","code","message","retryAfter","body","contentType",
//	                                             "latency","resetBeforeApply","dropAfterApply","rate","count","activeFor"}
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
//	# Throttle the next create, reset the one after (nothing happens), then drop the answer of
//	# the next (the change still happens); 404 every eligibility GET for 30 seconds.
//	curl -s -X POST http://127.0.0.1:8081/_emulator/faults -d '{"operation":"createRequest","status":429,"retryAfter":"2s","count":1}'
//	curl -s -X POST http://127.0.0.1:8081/_emulator/faults -d '{"operation":"createRequest","resetBeforeApply":true,"count":1}'
//	curl -s -X POST http://127.0.0.1:8081/_emulator/faults -d '{"operation":"createRequest","dropAfterApply":true,"count":1}'
//	curl -s -X POST http://127.0.0.1:8081/_emulator/faults -d '{"kind":"eligibility","operation":"getRequest","status":404,"activeFor":"30s"}'
//
//	# A user eligible in the portal activates, waiting for approval; approve it.
//	curl -s -X POST http://127.0.0.1:8081/_emulator/eligibilities \
//	     -d '{"principalId":"3cce9d87-3986-4f19-8335-7ed075408ca2","groupId":"2b5ed229-4072-478d-9504-a047ebd4b07d"}'
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
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

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
	eligibilityMinActiveAge := flag.Duration("eligibility-min-active-age", 0, "minimum age of an eligibility before adminRemove (0: none, the default)")
	unscopedListEmpty := flag.Bool("unscoped-list-empty", false, "answer a list without an eq on principalId or groupId with an empty list instead of 400")
	capitalized := flag.Bool("capitalized-member-types", false, `answer memberType and assignmentType as Graph's examples spell them ("Direct", "Assigned") instead of the metadata's "direct", "assigned"`)
	var eligibilities []graphemu.Eligibility
	flag.Func("eligibility", "seed an eligibility made in the portal: PRINCIPAL/GROUP[/ACCESS] (repeatable)", func(v string) error {
		el, err := parseEligibility(v)
		eligibilities = append(eligibilities, el)
		return err
	})
	documentedPolicies := flag.Bool("documented-group-policies", false, "give groups whose policy is not set the defaults of Graph's group examples instead of an unrestricted policy")
	var policies []groupPolicy
	flag.Func("group-policy", `set a group's PIM policy: GROUP[/ACCESS][=JSON], JSON as the control API's (repeatable)`, func(v string) error {
		p, err := parseGroupPolicy(v)
		policies = append(policies, p)
		return err
	})
	seed := flag.Uint64("seed", 1, "seed of the random source behind fault rates")
	writeBudget := flag.Int("write-budget", 0, fmt.Sprintf("answer writes (POSTs) over this many in --write-budget-window with 429 and Retry-After, as Graph's per-app budget does (Graph: %d per %s); 0 turns it off", graphemu.GraphWriteBudget, graphemu.GraphWriteBudgetWindow))
	writeBudgetWindow := flag.Duration("write-budget-window", graphemu.GraphWriteBudgetWindow, "the sliding window of --write-budget")
	flag.Parse()

	emu := graphemu.New(graphemu.Options{
		EligibilityMinActiveAge: *eligibilityMinActiveAge,
		ListLag:                 *listLag,
		ProvisioningDelay:       *provisioningDelay,
		RequireToken:            *requireToken,
		UnscopedListEmpty:       *unscopedListEmpty,
		CapitalizedMemberTypes:  *capitalized,
		DocumentedGroupPolicies: *documentedPolicies,
		Seed:                    *seed,
	})
	// The flag is taken literally: 0 means no minimum.
	emu.SetMinActiveAge(*minActiveAge)
	emu.SetWriteBudget(*writeBudget, *writeBudgetWindow)
	for _, el := range eligibilities {
		if _, err := emu.SeedEligibility(el); err != nil {
			return fmt.Errorf("--eligibility %s/%s: %w", el.PrincipalID, el.GroupID, err)
		}
	}

	for _, p := range policies {
		if err := emu.SetGroupPolicy(p.groupID, p.accessID, p.policy); err != nil {
			return fmt.Errorf("--group-policy %s: %w", p.groupID, err)
		}
	}

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

// parseEligibility reads PRINCIPAL/GROUP[/ACCESS].
func parseEligibility(v string) (graphemu.Eligibility, error) {
	parts := strings.Split(v, "/")
	if len(parts) < 2 || len(parts) > 3 || !isGUID(parts[0]) || !isGUID(parts[1]) {
		return graphemu.Eligibility{}, fmt.Errorf("want PRINCIPAL/GROUP[/ACCESS] with GUIDs, got %q", v)
	}
	el := graphemu.Eligibility{PrincipalID: parts[0], GroupID: parts[1], AccessID: graphemu.AccessMember}
	if len(parts) == 3 {
		if parts[2] != graphemu.AccessMember && parts[2] != graphemu.AccessOwner {
			return graphemu.Eligibility{}, fmt.Errorf("access %q: want member or owner", parts[2])
		}
		el.AccessID = parts[2]
	}
	return el, nil
}

// groupPolicy is one --group-policy.
type groupPolicy struct {
	groupID, accessID string
	policy            graphemu.GroupPolicy
}

// parseGroupPolicy reads GROUP[/ACCESS][=JSON].
func parseGroupPolicy(v string) (groupPolicy, error) {
	target, spec, _ := strings.Cut(v, "=")
	group, access, _ := strings.Cut(target, "/")
	if !isGUID(group) {
		return groupPolicy{}, fmt.Errorf("want GROUP[/ACCESS][=JSON] with a GUID, got %q", v)
	}
	if access != "" && access != graphemu.AccessMember && access != graphemu.AccessOwner {
		return groupPolicy{}, fmt.Errorf("access %q: want member or owner", access)
	}
	p, err := graphemu.GroupPolicyFromJSON([]byte(spec))
	if err != nil {
		return groupPolicy{}, err
	}
	return groupPolicy{groupID: group, accessID: access, policy: p}, nil
}

func isGUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}
