package graph

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// The package builds its request builders from the adapter, never from the SDK's root client:
// a root client held by a type used as an interface keeps every request builder of the Graph
// API in the manager's binary (118 MB instead of 225 MB, 17-22 MiB of RSS; docs/benchmarks.md).
func TestNoRootServiceClient(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && strings.Contains(sel.Sel.Name, "GraphServiceClient") ||
				ok && strings.Contains(sel.Sel.Name, "GraphBaseServiceClient") {
				t.Errorf("%s: %s uses the SDK's root client; build the request builder from the adapter", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}
