//go:build tools

// The packages the provider command (cmd/pulumi-resource-kubernetes/main.go of the provider module,
// copied in by scripts/ensure-kube.sh at build time) imports; listing them here lets `go mod tidy`
// record every module the build needs. Never compiled (build tag "tools").
package main

import (
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)
