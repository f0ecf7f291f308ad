// Command etcd is upstream etcd, built from its Go modules.
//
// The project needs an etcd that matches the Kubernetes release it pins (k8s 1.36 expects etcd
// 3.6; Debian ships 3.4). etcd publishes no installable command module, so this wrapper module
// requires go.etcd.io/etcd/server/v3 at the pinned release and its body is upstream's
// server/main.go: all of etcd lives in the etcdmain package.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
