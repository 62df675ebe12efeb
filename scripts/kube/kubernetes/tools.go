//go:build tools

// The commands scripts/ensure-kube.sh builds from this module; the import keeps them (and every
// module they need) in go.mod and go.sum under `go mod tidy`. Never compiled (build tag "tools").
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
