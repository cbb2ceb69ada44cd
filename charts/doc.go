// Package charts holds the operator's Helm chart, charts/pim-operator. Its tests lint and
// render the chart with helm (built from Go modules by hack/tools/build.sh), dry-run what it
// renders against a real API server, and hold it in step with config/: the same RBAC rules,
// the same Deployment security settings, the same CRDs, alerts and dashboard.
package charts
