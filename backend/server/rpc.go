package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
)

// errorType is the reflect.Type of the error interface.
var errorType = reflect.TypeFor[error]()

// method is one callable backend operation, "Struct.Method", as the Wails bindings expose it.
type method struct {
	fn  reflect.Value
	in  []reflect.Type
	out []reflect.Type
}

// methods maps "Struct.Method" to its method.
type methods map[string]method

// bind collects the exported methods of each service, named as Wails names them in the window
// (window.go.<pkg>.<Struct>.<Method>), so the browser and the window call the same thing.
func bind(services []any) (methods, error) {
	ms := methods{}
	for _, svc := range services {
		v := reflect.ValueOf(svc)
		if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
			return nil, fmt.Errorf("server: bind %T: want a pointer to a struct", svc)
		}
		typeName := v.Elem().Type().Name()
		for i := 0; i < v.NumMethod(); i++ {
			m := v.Type().Method(i)
			fn := v.Method(i)
			ft := fn.Type()
			if ft.NumOut() > 2 || ft.NumOut() == 2 && ft.Out(1) != errorType {
				return nil, fmt.Errorf("server: bind %s.%s: want results (T), (T, error), (error) or none", typeName, m.Name)
			}
			mt := method{fn: fn}
			for j := 0; j < ft.NumIn(); j++ {
				mt.in = append(mt.in, ft.In(j))
			}
			for j := 0; j < ft.NumOut(); j++ {
				mt.out = append(mt.out, ft.Out(j))
			}
			ms[typeName+"."+m.Name] = mt
		}
	}
	return ms, nil
}

// names lists the bound methods, sorted.
func (ms methods) names() []string {
	out := make([]string, 0, len(ms))
	for n := range ms {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// errBadArgs marks a call whose arguments do not fit the method: the caller's fault.
var errBadArgs = errors.New("server: bad arguments")

// call decodes a JSON array of arguments, calls the method and returns its result value.
// A returned error from the method is passed back as is; argument problems wrap errBadArgs.
func (m method) call(name string, body []byte) (any, error) {
	var raw []json.RawMessage
	if len(body) > 0 {
		if err := json.Unmarshal(body, &raw); err != nil {
			return nil, fmt.Errorf("%w: %s wants a JSON array of arguments: %w", errBadArgs, name, err)
		}
	}
	if len(raw) != len(m.in) {
		return nil, fmt.Errorf("%w: %s takes %d argument(s), got %d", errBadArgs, name, len(m.in), len(raw))
	}
	args := make([]reflect.Value, len(m.in))
	for i, t := range m.in {
		p := reflect.New(t)
		if err := json.Unmarshal(raw[i], p.Interface()); err != nil {
			return nil, fmt.Errorf("%w: %s argument %d: %w", errBadArgs, name, i+1, err)
		}
		args[i] = p.Elem()
	}
	out := m.fn.Call(args)
	if n := len(out); n > 0 && m.out[n-1] == errorType {
		if err, _ := out[n-1].Interface().(error); err != nil {
			return nil, err
		}
		out = out[:n-1]
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out[0].Interface(), nil
}
