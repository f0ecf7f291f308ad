// Command kstatus-check prints the kstatus verdict for Kubernetes objects.
//
// It runs sigs.k8s.io/cli-utils/pkg/kstatus/status.Compute, the library behind Flux's health
// checks and kstatus-aware tooling, over objects read as JSON from stdin: one object, a
// `kind: List` (what `kubectl get -o json` prints for several objects), a JSON array, or several
// such values one after another. For every object it writes one JSON line:
//
//	{"apiVersion":"scaleset.dev/v1alpha1","kind":"ScaleSet","namespace":"ns","name":"web",
//	 "status":"Current","message":"Resource is current"}
//
// status is one of InProgress, Failed, Current, Terminating, NotFound, Unknown. `--version` prints
// the cli-utils module version it was built with. Exit codes: 0 success, 1 unreadable input or a
// Compute error, 2 bad usage.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

const cliUtils = "sigs.k8s.io/cli-utils"

type verdict struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	Message    string `json:"message"`
}

func cliUtilsVersion() string {
	info, ok := debug.ReadBuildInfo()
	if ok {
		for _, dep := range info.Deps {
			if dep.Path == cliUtils {
				return dep.Version
			}
		}
	}
	return "unknown"
}

// objects flattens one decoded JSON value into the objects it holds.
func objects(value any) ([]map[string]any, error) {
	switch v := value.(type) {
	case []any:
		var out []map[string]any
		for _, item := range v {
			found, err := objects(item)
			if err != nil {
				return nil, err
			}
			out = append(out, found...)
		}
		return out, nil
	case map[string]any:
		if kind, _ := v["kind"].(string); kind == "List" || (len(kind) > 4 && kind[len(kind)-4:] == "List") {
			if items, ok := v["items"].([]any); ok {
				return objects(items)
			}
		}
		return []map[string]any{v}, nil
	default:
		return nil, fmt.Errorf("expected a JSON object, list or array, got %T", value)
	}
}

func run(in io.Reader, out io.Writer) error {
	decoder := json.NewDecoder(bufio.NewReader(in))
	decoder.UseNumber()
	encoder := json.NewEncoder(out)
	for {
		var value any
		if err := decoder.Decode(&value); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading stdin: %w", err)
		}
		found, err := objects(value)
		if err != nil {
			return err
		}
		for _, object := range found {
			u := &unstructured.Unstructured{Object: normalize(object).(map[string]any)}
			result, err := status.Compute(u)
			if err != nil {
				return fmt.Errorf("%s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
			}
			if err := encoder.Encode(verdict{
				APIVersion: u.GetAPIVersion(),
				Kind:       u.GetKind(),
				Namespace:  u.GetNamespace(),
				Name:       u.GetName(),
				Status:     result.Status.String(),
				Message:    result.Message,
			}); err != nil {
				return err
			}
		}
	}
}

// normalize turns json.Number into int64 or float64, the types unstructured accessors expect
// (status.observedGeneration and metadata.generation must read as int64).
func normalize(value any) any {
	switch v := value.(type) {
	case map[string]any:
		for key, item := range v {
			v[key] = normalize(item)
		}
		return v
	case []any:
		for i, item := range v {
			v[i] = normalize(item)
		}
		return v
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	default:
		return v
	}
}

func main() {
	switch {
	case len(os.Args) == 2 && os.Args[1] == "--version":
		fmt.Printf("%s %s\n", cliUtils, cliUtilsVersion())
		return
	case len(os.Args) > 1:
		fmt.Fprintln(os.Stderr, "usage: kstatus-check [--version] < objects.json")
		os.Exit(2)
	}
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "kstatus-check:", err)
		os.Exit(1)
	}
}
