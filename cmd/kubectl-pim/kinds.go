package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	v1 "github.com/pim-operator/pim-operator/api/v1alpha1"
	"github.com/pim-operator/pim-operator/controllers"
)

// kinds are the request kinds, as the operator reconciles them (controllers.Kinds): a kind
// added there is listed, found and explained here too.
var kinds = controllers.Kinds

// shortNames are the CRDs' short names, for NAME arguments written kubectl's way (pimar/NAME).
var shortNames = map[string]string{
	"PIMAssignmentRequest":  "pimar",
	"PIMEligibilityRequest": "pimer",
}

// typeWord is what ls shows for a kind: which access the object asks for.
func typeWord(k controllers.Kind) string {
	switch k.LiveCondition {
	case v1.ConditionActive:
		return "active"
	case v1.ConditionEligible:
		return "eligible"
	}
	return strings.ToLower(k.Name)
}

// resourceName is the kind as kubectl names it in messages: pimassignmentrequest/NAME.
func resourceName(k controllers.Kind, name string) string {
	return strings.ToLower(k.Name) + "/" + name
}

// kindNamed finds the kind a NAME argument's prefix names: the kind in lower case, its plural,
// or its short name.
func kindNamed(s string) (controllers.Kind, bool) {
	s = strings.ToLower(s)
	if i := strings.IndexByte(s, '.'); i >= 0 { // pimassignmentrequests.access.pim-operator.dev
		s = s[:i]
	}
	for _, k := range kinds {
		lower := strings.ToLower(k.Name)
		if s == lower || s == lower+"s" || s == shortNames[k.Name] {
			return k, true
		}
	}
	return controllers.Kind{}, false
}

// found is one request object with its kind.
type found struct {
	kind controllers.Kind
	obj  controllers.Object
}

// find reads the request object arg names in namespace: KIND/NAME, or NAME alone when only
// one kind has an object of that name.
func find(ctx context.Context, c client.Client, namespace, arg string) (*found, error) {
	candidates := kinds
	name := arg
	if prefix, rest, ok := strings.Cut(arg, "/"); ok {
		k, known := kindNamed(prefix)
		if !known {
			return nil, fmt.Errorf("%q is not a kind of request: write pimar/NAME, pimer/NAME or just NAME", prefix)
		}
		candidates, name = []controllers.Kind{k}, rest
	}
	var hits []*found
	for _, k := range candidates {
		obj := k.New()
		err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, obj)
		switch {
		case err == nil:
			setKind(c.Scheme(), obj)
			hits = append(hits, &found{kind: k, obj: obj})
		case apierrors.IsNotFound(err), meta.IsNoMatchError(err):
		default:
			return nil, explainAPIError(err, "reading "+resourceName(k, name))
		}
	}
	switch len(hits) {
	case 0:
		var names []string
		for _, k := range candidates {
			names = append(names, strings.ToLower(k.Name))
		}
		return nil, fmt.Errorf("no %s named %q in namespace %q (kubectl pim ls lists them)", strings.Join(names, " or "), name, namespace)
	case 1:
		return hits[0], nil
	}
	var both []string
	for _, h := range hits {
		both = append(both, shortNames[h.kind.Name]+"/"+name)
	}
	sort.Strings(both)
	return nil, fmt.Errorf("%q names objects of more than one kind: write %s", name, strings.Join(both, " or "))
}

// setKind fills in the object's apiVersion and kind, which a typed client leaves empty and -o
// yaml|json must show.
func setKind(s *runtime.Scheme, obj client.Object) {
	if gvk, err := apiutil.GVKForObject(obj, s); err == nil {
		obj.GetObjectKind().SetGroupVersionKind(gvk)
	}
}

// explainAPIError says what an API error means for a user of the plugin.
func explainAPIError(err error, doing string) error {
	switch {
	case meta.IsNoMatchError(err):
		return fmt.Errorf("%s: the pim-operator's CRDs are not installed in this cluster (%v)", doing, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%s: %v\n(%s)", doing, err, roleHint(err))
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// roleHint names the generated role that grants what the API server refused, from the resource
// the refusal names.
func roleHint(err error) string {
	var resource string
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Details != nil {
		resource = status.Status().Details.Kind
	}
	switch resource {
	case "pimaccesspolicies":
		return "ask a cluster administrator to bind the pimaccesspolicy-viewer-role"
	case "pimeligibilityrequests":
		return "ask for the pimeligibilityrequest-editor-role, or -viewer-role to read, in this namespace"
	}
	return "ask for the pimassignmentrequest-editor-role, or -viewer-role to read, in this namespace"
}
