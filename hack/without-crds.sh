#!/usr/bin/env bash
# Reads a multi-document YAML stream (kustomize build output) and drops every
# CustomResourceDefinition, so that `make undeploy` removes the operator but never the CRDs:
# deleting a CRD deletes every PIMAssignmentRequest, and with the operator still running their
# finalizers would end the access they stand for.
exec awk '
  function flush() { if (doc != "" && !is_crd) printf "%s---\n", doc; doc = ""; is_crd = 0 }
  /^---$/ { flush(); next }
  /^kind: CustomResourceDefinition$/ { is_crd = 1 }
  { doc = doc $0 "\n" }
  END { flush() }
'
