package controllers

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/pim-operator/pim-operator/internal/pim"
)

// A create still in flight when the settle period ends could be posted twice: the manager
// refuses to start with a settle period no longer than a Graph call may take.
func TestConfigRefusesASettlePeriodShorterThanACall(t *testing.T) {
	_, err := Config{Graph: &emptyGraph{}, SealKey: testSealKey,
		Options: Options{CreateSettlePeriod: 20 * time.Second, GraphTimeout: 30 * time.Second}}.withDefaults()
	if err == nil || !strings.Contains(err.Error(), "--create-settle-period") {
		t.Fatalf("got %v", err)
	}
	if _, err := (Config{Graph: &emptyGraph{}, SealKey: testSealKey}).withDefaults(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
}

// The Deployment gives a POST in flight at shutdown time to get its answer recorded.
func TestTerminationGraceCoversAGraphCall(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "config", "manager", "manager.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(b), "\n---\n")
	var d appsv1.Deployment
	if err := yaml.Unmarshal([]byte(docs[len(docs)-1]), &d); err != nil {
		t.Fatal(err)
	}
	grace := d.Spec.Template.Spec.TerminationGracePeriodSeconds
	if grace == nil || time.Duration(*grace)*time.Second <= DefaultGraphTimeout {
		t.Fatalf("terminationGracePeriodSeconds %v, want more than a Graph call's %s", grace, DefaultGraphTimeout)
	}
}

type emptyGraph struct{}

func (emptyGraph) For(pim.Kind) pim.Client { return pim.Funcs{} }
