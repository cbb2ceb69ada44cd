#!/usr/bin/env bash
# make demo: the operator's main job on a local control plane and the Graph emulator, with the
# real kubectl. No cluster, no Azure tenant. DEMO_KEEP=1 leaves everything running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO_DIR=$PWD/.demo
EMULATOR_ADDR=${EMULATOR_ADDR:-127.0.0.1:18081}
GRAPH=http://$EMULATOR_ADDR
export KUBECONFIG=$DEMO_DIR/kubeconfig
pids=()

say()  { printf '\n\033[1;36m== %s\033[0m\n' "$*"; }
note() { printf '\033[2m   %s\033[0m\n' "$*"; }
run()  { printf '\033[1m$ %s\033[0m\n' "$*"; "$@"; }

cleanup() {
  local code=$?
  if [ "${DEMO_KEEP:-}" = 1 ] && [ $code -eq 0 ]; then
    say "Still running (DEMO_KEEP=1). Try it yourself:"
    echo "   export KUBECONFIG=$KUBECONFIG PATH=$PWD/bin:\$PATH"
    echo "   kubectl get pimar -A; kubectl pim ls"
    echo "   curl -s $GRAPH/_emulator/requests | head"
    echo "   Logs: $DEMO_DIR/*.log. Press Ctrl-C to stop everything."
    trap - EXIT
    trap 'stop_all; exit 0' INT TERM
    wait
  fi
  stop_all
  exit $code
}
stop_all() {
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { # description command...
  local what=$1
  shift
  for _ in $(seq 1 240); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    for pid in "${pids[@]}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "a process stopped while waiting for $what; logs:" >&2
        tail -n 20 "$DEMO_DIR"/*.log >&2
        return 1
      fi
    done
    sleep 0.5
  done
  echo "timed out waiting for $what; logs in $DEMO_DIR" >&2
  return 1
}

mkdir -p "$DEMO_DIR" bin
say "Building (first run: the control plane takes ~9 minutes to compile, the Graph SDK a few more)"
KUBEBUILDER_ASSETS=$(hack/envtest/build.sh)
export KUBEBUILDER_ASSETS
export PATH=$PWD/bin:$KUBEBUILDER_ASSETS:$PATH # kubectl-pim, and the kubectl built with kube-apiserver
make --no-print-directory build kustomize >/dev/null
go build -o bin/graph-emulator ./hack/graph-emulator
go build -o bin/controlplane ./hack/controlplane
note "kubectl: $(command -v kubectl)"

say "Starting a local control plane (etcd + kube-apiserver on loopback)"
rm -f "$KUBECONFIG"
bin/controlplane --write-kubeconfig "$KUBECONFIG" >"$DEMO_DIR/controlplane.log" 2>&1 &
pids+=($!)
wait_for "the control plane" test -s "$KUBECONFIG"
wait_for "the API server" kubectl get --raw /readyz

say "Starting the Graph emulator at $GRAPH/v1.0 (Graph's 5-minute minimum active age shortened to 15s)"
bin/graph-emulator --listen "$EMULATOR_ADDR" --min-active-age 15s >"$DEMO_DIR/graph-emulator.log" 2>&1 &
pids+=($!)
wait_for "the Graph emulator" curl -sf "$GRAPH/_emulator/clock"

say "Installing the CRDs with kubectl"
bin/kustomize build config/crd | run kubectl apply --server-side -f -
run kubectl wait --for=condition=Established crd/pimassignmentrequests.access.pim-operator.dev crd/pimeligibilityrequests.access.pim-operator.dev

# The operator keeps the key it signs what it has proven with in a Secret of its own namespace.
kubectl create namespace pim-operator-system >/dev/null
say "Running the operator against both (log: .demo/manager.log)"
bin/manager --kubeconfig "$KUBECONFIG" \
  --graph-base-url "$GRAPH/v1.0" --graph-auth none \
  --poll-interval 2s --min-active-age 15s --create-settle-period 5s --graph-timeout 4s \
  --operator-namespace pim-operator-system --group-policy-check enforce \
  --health-probe-bind-address 127.0.0.1:0 --metrics-bind-address 0 >"$DEMO_DIR/manager.log" 2>&1 &
pids+=($!)

say "1. Guard rails: access is denied by default; a PIMAccessPolicy says what a namespace may ask for"
run kubectl wait --for=condition=Established crd/pimaccesspolicies.access.pim-operator.dev
note "The sample policies (config/samples/access_v1alpha1_pimaccesspolicy.yaml) are for namespaces team-a and"
note "platform-labelled ones. The demo's objects live in default: this policy permits them (on-call group, 8h at most)."
note "(90 days of eligibility; and a strict group for step 8.)"
run kubectl apply -f - <<'YAML'
apiVersion: access.pim-operator.dev/v1alpha1
kind: PIMAccessPolicy
metadata:
  name: demo-default
spec:
  namespaces:
  - default
  groups:
  - groupId: 6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f  # on-call
    accessIds:
    - member
    - owner
  - groupId: 7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a  # strict: its own PIM policy allows 4h
    accessIds:
    - member
  maxDuration: 8h
  eligibility:
    groups:
    - groupId: 6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f
      accessIds:
      - member
    maxDuration: 2160h
YAML
note "A request for a group no policy allows to namespace default is not sent to Graph; it is Stalled and says why:"
run kubectl apply -f - <<'YAML'
apiVersion: access.pim-operator.dev/v1alpha1
kind: PIMAssignmentRequest
metadata:
  name: wants-platform-admins
spec:
  groupId: 3e2d1c0b-9a8f-4e7d-8c6b-5a4f3e2d1c0b
  principalId: 5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9
  accessId: owner
  justification: Just in case
  schedule:
    expiration:
      type: afterDuration
      duration: 8h
YAML
run kubectl wait --for=condition=Stalled pimar/wants-platform-admins --timeout=60s
run kubectl get pimar wants-platform-admins -o jsonpath='{range .status.conditions[?(@.type=="Stalled")]}{.type}={.status} {.reason}: {.message}{"\n"}{end}'

say "2. Apply the samples: an assignment starting now, one starting in the future, one already called off"
for s in now future cancelled; do
  run kubectl apply -f "config/samples/access_v1alpha1_pimassignmentrequest_$s.yaml"
done
run kubectl wait --for=condition=Ready pimar/oncall-alice pimar/maintenance-bob --timeout=60s
run kubectl wait --for=condition=Cancelled pimar/called-off-carol --timeout=60s
note "The printer columns read status: Graph's status, whether the access is live, whether the operator is done."
run kubectl get pimar

say "3. The future-start request is Granted; cancel it by flipping spec.cancelled"
run kubectl get pimar maintenance-bob -o jsonpath='{.status.graphStatus}{"\n"}'
run kubectl patch pimar maintenance-bob --type merge -p '{"spec":{"cancelled":true}}'
run kubectl wait --for=condition=Cancelled pimar/maintenance-bob --timeout=60s
note "Graph answered cancel with 204 No Content; the condition says so:"
run kubectl get pimar maintenance-bob -o jsonpath='{range .status.conditions[?(@.type=="Cancelled")]}{.type}={.status} {.reason}: {.message}{"\n"}{end}'
run kubectl events --for pimassignmentrequest/maintenance-bob

say "4. An active assignment is ended by adminRemove (Graph refuses it for 15s after activation here)"
run kubectl patch pimar oncall-alice --type merge -p '{"spec":{"cancelled":true}}'
run kubectl wait --for=condition=Cancelled pimar/oncall-alice --timeout=90s
run kubectl get pimar oncall-alice -o jsonpath='removal request {.status.removalRequestId}: {.status.removalStatus}{"\n"}'

say "5. Adopt a pending activation made in the portal, then cancel it"
group=6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f
curl -sf -X PUT "$GRAPH/_emulator/groups/$group/approval" -d '{"required":true}' >/dev/null
# Entra lets a user activate only what they are eligible for: the portal made them eligible first.
curl -sf -X POST "$GRAPH/_emulator/eligibilities" \
  -d "{\"principalId\":\"3cce9d87-3986-4f19-8335-7ed075408ca2\",\"groupId\":\"$group\",\"accessId\":\"member\",\"justification\":\"Eligible for on-call\",\"duration\":\"720h\"}" >/dev/null
activation=$(curl -sf -X POST "$GRAPH/_emulator/activations" \
  -d "{\"principalId\":\"3cce9d87-3986-4f19-8335-7ed075408ca2\",\"groupId\":\"$group\",\"accessId\":\"member\",\"justification\":\"Portal activation\",\"duration\":\"2h\"}")
request_id=$(printf '%s' "$activation" | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -n1)
note "Seeded a selfActivate request $request_id, waiting for approval"
sed "s/9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d/$request_id/" config/samples/access_v1alpha1_pimassignmentrequest_adopt.yaml | run kubectl apply -f -
run kubectl wait --for=condition=Submitted pimar/adopted-activation --timeout=60s
run kubectl get pimar adopted-activation
run kubectl patch pimar adopted-activation --type merge -p '{"spec":{"cancelled":true}}'
run kubectl wait --for=condition=Cancelled pimar/adopted-activation --timeout=60s
run kubectl get pimar adopted-activation -o jsonpath='{range .status.conditions[?(@.type=="Cancelled")]}{.reason}: {.message}{"\n"}{end}'

say "6. Delete an object: its finalizer ends the request first"
run kubectl apply -f - <<'YAML'
apiVersion: access.pim-operator.dev/v1alpha1
kind: PIMAssignmentRequest
metadata:
  name: short-lived
spec:
  groupId: 6b1f3c9e-2d4a-4f1b-9c3e-0a1b2c3d4e5f
  principalId: 4d5e6f7a-8b9c-4d0e-8f1a-2b3c4d5e6f7a
  schedule:
    startDateTime: "2031-01-01T00:00:00Z"
    expiration:
      type: afterDuration
      duration: 4h
YAML
run kubectl wait --for=condition=Ready pimar/short-lived --timeout=60s
id=$(kubectl get pimar short-lived -o jsonpath='{.status.requestId}')
run kubectl delete pimar short-lived --timeout=60s
note "Graph now reports request $id as: $(curl -sf "$GRAPH/_emulator/requests/$id" | sed -n 's/.*"status": *"\([^"]*\)".*/\1/p' | head -n1)"

say "7. Eligibility: make a principal eligible for 90 days; they activate it themselves in the portal"
run kubectl apply -f config/samples/access_v1alpha1_pimeligibilityrequest.yaml
run kubectl wait --for=condition=Eligible pimer/oncall-bob-eligible --timeout=60s
run kubectl get pimer
curl -sf -X PUT "$GRAPH/_emulator/groups/$group/approval" -d '{"required":false}' >/dev/null
note "Bob is paged and activates his membership for an hour in the portal (Entra checks he is eligible):"
curl -sf -X POST "$GRAPH/_emulator/activations" \
  -d "{\"principalId\":\"2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e\",\"groupId\":\"$group\",\"accessId\":\"member\",\"justification\":\"Paged: incident 4711\",\"duration\":\"1h\"}" |
  sed -n 's/.*"status": *"\([^"]*\)".*/   activation: \1/p' | head -n1
note "An eligibility from next quarter is Granted until then; cancelling it answers 204:"
run kubectl apply -f config/samples/access_v1alpha1_pimeligibilityrequest_future.yaml
run kubectl wait --for=condition=Ready pimer/next-quarter-carol-eligible --timeout=60s
run kubectl patch pimer next-quarter-carol-eligible --type merge -p '{"spec":{"cancelled":true}}'
run kubectl wait --for=condition=Cancelled pimer/next-quarter-carol-eligible --timeout=60s
run kubectl get pimer next-quarter-carol-eligible -o jsonpath='{range .status.conditions[?(@.type=="Cancelled")]}{.reason}: {.message}{"\n"}{end}'
note "Bob's rotation ends early: removing his live eligibility (adminRemove) stops further activations."
run kubectl patch pimer oncall-bob-eligible --type merge -p '{"spec":{"cancelled":true}}'
run kubectl wait --for=condition=Cancelled pimer/oncall-bob-eligible --timeout=60s
run kubectl get pimer

say "8. The group's own PIM policy is checked before anything is sent (--group-policy-check=enforce)"
strict=7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a
note "In Entra, the strict group allows active assignments of at most 4 hours (here: the emulator's policy):"
curl -sf -X PUT "$GRAPH/_emulator/groups/$strict/policy" \
  -d '{"accessId":"member","assignment":{"expirationRequired":true,"maximumDuration":"PT4H","enabledRules":[]}}' >/dev/null
for hours in 8 4; do
  run kubectl apply -f - <<YAML
apiVersion: access.pim-operator.dev/v1alpha1
kind: PIMAssignmentRequest
metadata:
  name: strict-${hours}h
spec:
  groupId: $strict
  principalId: 6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c
  justification: Database migration
  schedule:
    expiration:
      type: afterDuration
      duration: ${hours}h
YAML
  if [ "$hours" = 8 ]; then
    run kubectl wait --for=condition=Stalled pimar/strict-8h --timeout=60s
    run kubectl get pimar strict-8h -o jsonpath='{range .status.conditions[?(@.type=="Stalled")]}{.reason}: {.message}{"\n"}{end}'
    note "Nothing was sent to Graph for it. A corrected request, for 4 hours:"
  fi
done
run kubectl wait --for=condition=Ready pimar/strict-4h --timeout=60s
run kubectl get pimar strict-8h strict-4h

say "9. The same from a requester's chair: kubectl pim (bin/kubectl-pim on PATH)"
run kubectl pim request $group --for 2h --principal 7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d \
  --name hotfix-dave --justification "Hotfix for incident 4712" --ticket ServiceNow:INC0004712
run kubectl pim ls
run kubectl pim why strict-8h
run kubectl pim policies
run kubectl pim cancel hotfix-dave

say "What the operator asked of Graph"
curl -sf "$GRAPH/_emulator/calls" | grep -o '"operation": *"[a-zA-Z]*"' | sort | uniq -c || true
say "Done."
