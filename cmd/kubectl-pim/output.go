package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// table writes rows aligned the way kubectl does (three spaces between columns).
type table struct {
	w *tabwriter.Writer
}

func newTable(out io.Writer, headers ...string) *table {
	t := &table{w: tabwriter.NewWriter(out, 0, 8, 3, ' ', 0)}
	t.row(headers...)
	return t
}

func (t *table) row(cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(t.w, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.w.Flush() }

// list is what -o yaml|json prints for several objects, as kubectl prints a list of mixed
// kinds.
type list struct {
	APIVersion string           `json:"apiVersion"`
	Kind       string           `json:"kind"`
	Items      []runtime.Object `json:"items"`
}

func newList(items []runtime.Object) *list {
	if items == nil {
		items = []runtime.Object{}
	}
	return &list{APIVersion: "v1", Kind: "List", Items: items}
}

// printAs writes v as -o asks: yaml or json. Like kubectl, it leaves out managed fields: they
// are most of an object's bytes and say nothing to a person.
func printAs(out io.Writer, format string, v any) error {
	switch o := v.(type) {
	case metav1.Object:
		o.SetManagedFields(nil)
	case *list:
		for _, it := range o.Items {
			if m, ok := it.(metav1.Object); ok {
				m.SetManagedFields(nil)
			}
		}
	}
	switch format {
	case "json":
		b, err := json.MarshalIndent(v, "", "    ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "%s\n", b)
		return err
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	}
	return fmt.Errorf("unsupported output format %q", format)
}

func structured(format string) bool { return format == "yaml" || format == "json" }
