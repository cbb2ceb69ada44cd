package controllers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"time"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
)

// Whoever may write an object's status (RBAC wildcards grant /status more often than people
// think) or its annotations could otherwise point the operator at someone else's request. So
// what the operator has proven — that a Graph request is this object's, that it posted a
// create — it signs with a key only it holds, over the object's identity and the facts
// proven. A status or annotation without a valid signature proves nothing: the operator then
// reads Graph again (when a policy permits it) or does nothing.

const sealVersion = "v1."

// sealer signs and checks with the process's key (Config.SealKey).
type sealer struct{ key []byte }

func (s sealer) sign(parts ...string) string {
	mac := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		mac.Write([]byte(p))
		mac.Write([]byte{0})
	}
	return sealVersion + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (s sealer) valid(sig string, parts ...string) bool {
	return len(s.key) > 0 && strings.HasPrefix(sig, sealVersion) && hmac.Equal([]byte(sig), []byte(s.sign(parts...)))
}

// identity is what every seal of an object covers: its kind, namespace, name and UID, so a
// seal copied to another object proves nothing there.
func identity(k *Kind, obj Object) []string {
	return []string{k.Name, obj.GetNamespace(), obj.GetName(), string(obj.GetUID())}
}

// statusFacts are the facts of the status a seal vouches for: the request, its schedule, the
// triple Graph reported, and the adminRemove request sent.
func statusFacts(st *v1.RequestStatus) []string {
	return []string{"status", st.RequestID, strings.ToLower(st.TargetScheduleID), strings.ToLower(st.PrincipalID),
		strings.ToLower(st.GroupID), string(st.AccessID), st.RemovalRequestID}
}

// sealStatus signs obj's status as it stands; call it only once Graph has shown the request
// is obj's.
func (s sealer) sealStatus(k *Kind, obj Object) {
	st := obj.GetRequestStatus()
	st.Seal = s.sign(append(identity(k, obj), statusFacts(st)...)...)
}

// statusSealed: obj's status carries the operator's seal over its current facts.
func (s sealer) statusSealed(k *Kind, obj Object) bool {
	st := obj.GetRequestStatus()
	return st.RequestID != "" && s.valid(st.Seal, append(identity(k, obj), statusFacts(st)...)...)
}

// createPendingValue is the create-pending annotation for a create started at t: the time,
// and the seal over it.
func (s sealer) createPendingValue(k *Kind, obj Object, t time.Time) string {
	at := t.UTC().Format(time.RFC3339)
	return at + ";" + s.sign(append(identity(k, obj), "create-pending", at)...)
}

// createPending reads the create-pending annotation: when the create started, and whether the
// operator wrote it (its seal is valid). ok is false when there is none. A value that does not
// parse counts as written when the object was created, so its settle period ends.
func (s sealer) createPending(k *Kind, obj Object) (at time.Time, sealed, ok bool) {
	v, ok := obj.GetAnnotations()[v1.AnnotationCreatePending]
	if !ok {
		return time.Time{}, false, false
	}
	text, sig, _ := strings.Cut(v, ";")
	t, err := time.Parse(time.RFC3339, text)
	if err != nil {
		return obj.GetCreationTimestamp().Time, false, true
	}
	return t, s.valid(sig, append(identity(k, obj), "create-pending", text)...), true
}
