// Command argocd-health runs an Argo CD Lua health check over Kubernetes objects, in gopher-lua
// (the Lua VM Argo CD embeds) set up the way Argo CD sets it up for a check added through argocd-cm.
//
// Usage: argocd-health SCRIPT.lua < objects.json
//
// Objects are read as JSON from stdin like kstatus-check reads them: one object, a `kind: List`,
// a JSON array, or several such values one after another. For every object one JSON line:
//
//	{"kind":"ScaleSet","namespace":"ns","name":"web","status":"Healthy","message":"2/2 ready: ..."}
//
// or, when the script fails (a runtime error, a wrong return type), the same line with "error" set
// and an empty status: Argo CD then shows the resource's health as Unknown with that error.
// `--version` prints the gopher-lua module version it was built with. Exit codes: 0 success,
// 1 unreadable input or script, 2 bad usage.
//
// What matches Argo CD (argo-cd util/lua, VM.runLua and VM.ExecuteHealthLua, UseOpenLibs false):
//   - the state is created with SkipOpenLibs; then package, base and table are opened, and a
//     "safe os" with only time() and date(). Argo CD registers that os module under the *table*
//     library's name, which is already loaded, so no global `os` exists: only require("os")
//     (through package.preload) reaches it. Neither string nor math is opened, so string.format,
//     math.floor and method calls on strings ("x"):len() fail at run time;
//   - the object becomes the global `obj`, converted as Argo CD's decodeValue converts an
//     unstructured object (integers and floats to numbers, arrays to sequences, maps to tables);
//   - the script runs under a 1 second deadline;
//   - the returned table is encoded with layeh.com/gopher-json and decoded into {status, message};
//     a status that is not one of Argo CD's health codes becomes Unknown, "Lua returned an invalid
//     health status"; returning nil gives an empty status.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	luajson "layeh.com/gopher-json"
)

const gopherLua = "github.com/yuin/gopher-lua"

// The health codes Argo CD accepts from a script (gitops-engine pkg/health).
var healthCodes = map[string]bool{
	"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true,
}

type verdict struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	Message   string `json:"message"`
	Error     string `json:"error,omitempty"`
}

type health struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

// safeOs is the part of Lua's os library Argo CD exposes: the clock, nothing that touches the host.
var safeOs = map[string]lua.LGFunction{
	"time": func(l *lua.LState) int {
		l.Push(lua.LNumber(time.Now().Unix()))
		return 1
	},
	"date": func(l *lua.LState) int {
		l.Push(lua.LString(time.Now().UTC().Format(time.RFC3339)))
		return 1
	},
}

func openSafeOs(l *lua.LState) int {
	// As Argo CD does: registered under the table library's name (already loaded, so a no-op).
	l.Push(l.RegisterModule(lua.TabLibName, safeOs))
	return 1
}

func loadSafeOs(l *lua.LState) int {
	l.Push(l.SetFuncs(l.NewTable(), safeOs))
	return 1
}

func newState() *lua.LState {
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, openSafeOs},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			panic(err)
		}
	}
	l.PreloadModule(lua.OsLibName, loadSafeOs)
	return l
}

// toLua converts a decoded (and normalized) JSON value the way Argo CD converts an unstructured object.
func toLua(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []any:
		table := l.CreateTable(len(v), 0)
		for _, item := range v {
			table.Append(toLua(l, item))
		}
		return table
	case map[string]any:
		table := l.CreateTable(0, len(v))
		for key, item := range v {
			table.RawSetH(lua.LString(key), toLua(l, item))
		}
		return table
	default:
		return lua.LNil
	}
}

// evaluate runs script over object and returns what Argo CD would record as the resource's health.
func evaluate(script string, object map[string]any) (health, error) {
	l := newState()
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", toLua(l, object))
	if err := l.DoString(script); err != nil {
		var apiErr *lua.ApiError
		if errors.As(err, &apiErr) {
			apiErr.StackTrace = ""
		}
		return health{}, err
	}
	returned := l.Get(-1)
	switch returned.Type() {
	case lua.LTNil:
		return health{}, nil
	case lua.LTTable:
	default:
		return health{}, fmt.Errorf("expect table output from Lua script, not %s", returned.Type())
	}
	encoded, err := luajson.Encode(returned)
	if err != nil {
		return health{}, err
	}
	var result health
	if err := json.Unmarshal(encoded, &result); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Value == "array" {
			return health{}, nil // an empty table encodes as []: Argo CD treats it as no verdict
		}
		return health{}, err
	}
	if !healthCodes[result.Status] {
		return health{Status: "Unknown", Message: "Lua returned an invalid health status"}, nil
	}
	return result, nil
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
		if kind, _ := v["kind"].(string); strings.HasSuffix(kind, "List") {
			if items, ok := v["items"].([]any); ok {
				return objects(items)
			}
		}
		return []map[string]any{v}, nil
	default:
		return nil, fmt.Errorf("expected a JSON object, list or array, got %T", value)
	}
}

// normalize turns json.Number into int64 or float64, as decoding into unstructured does.
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

func field(object map[string]any, path ...string) string {
	var node any = object
	for _, key := range path {
		m, ok := node.(map[string]any)
		if !ok {
			return ""
		}
		node = m[key]
	}
	s, _ := node.(string)
	return s
}

func run(script string, in io.Reader, out io.Writer) error {
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
			object = normalize(object).(map[string]any)
			result, err := evaluate(script, object)
			line := verdict{
				Kind:      field(object, "kind"),
				Namespace: field(object, "metadata", "namespace"),
				Name:      field(object, "metadata", "name"),
				Status:    result.Status,
				Message:   result.Message,
			}
			if err != nil {
				line.Error = err.Error()
			}
			if err := encoder.Encode(line); err != nil {
				return err
			}
		}
	}
}

func moduleVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == gopherLua {
				return dep.Version
			}
		}
	}
	return "unknown"
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == "--version" {
		fmt.Printf("%s %s\n", gopherLua, moduleVersion())
		return
	}
	if len(os.Args) != 2 || strings.HasPrefix(os.Args[1], "-") {
		fmt.Fprintln(os.Stderr, "usage: argocd-health SCRIPT.lua < objects.json | argocd-health --version")
		os.Exit(2)
	}
	script, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "argocd-health:", err)
		os.Exit(1)
	}
	if _, err := lua.NewState(lua.Options{SkipOpenLibs: true}).LoadString(string(script)); err != nil {
		fmt.Fprintln(os.Stderr, "argocd-health: the script does not compile:", err)
		os.Exit(1)
	}
	if err := run(string(script), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "argocd-health:", err)
		os.Exit(1)
	}
}
