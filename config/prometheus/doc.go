// Package prometheus holds the operator's Prometheus operator manifests: the ServiceMonitor
// that scrapes it and the PrometheusRule with its alerts. Its tests check and unit-test the
// alerts with promtool (built from Go modules by hack/tools/build.sh), run the real manager
// against envtest and the Graph emulator to gather the metrics it exports — the
// pim_operator_objects gauge among them — and hold the alerts and config/grafana's dashboard
// to those metrics, their labels and the values the code can give them.
package prometheus
