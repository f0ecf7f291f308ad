// Command kube-apiserver is the upstream Kubernetes API server, built from its Go module.
//
// k8s.io/kubernetes cannot be `go install`ed directly: its go.mod pins the staging modules
// (k8s.io/api, k8s.io/apiserver, ...) at v0.0.0 and replaces them with local paths. This wrapper
// module requires k8s.io/kubernetes at a pinned release and replaces every staging module with
// its published v0.X.Y, so `go build` works from the module proxy alone. The body is upstream's
// cmd/kube-apiserver/apiserver.go.
package main

import (
	"os"
	_ "time/tzdata"

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	command := app.NewAPIServerCommand()
	os.Exit(cli.Run(command))
}
