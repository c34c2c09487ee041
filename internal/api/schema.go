package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"time"
)

// Schema is a JSON Schema (2020-12 dialect) object as it appears in the
// OpenAPI document. Handlers normally do not write schemas: Route takes
// Go values and their types are described by reflection (see SchemaOf).
type Schema map[string]any

// Simple schemas for query parameters and hand-written bodies.
func String() Schema  { return Schema{"type": "string"} }
func Integer() Schema { return Schema{"type": "integer"} }
func Boolean() Schema { return Schema{"type": "boolean"} }

// Enum is a string restricted to values.
func Enum(values ...string) Schema {
	vs := make([]any, len(values))
	for i, v := range values {
		vs[i] = v
	}
	return Schema{"type": "string", "enum": vs}
}

// Describe returns s with a description.
func (s Schema) Describe(d string) Schema {
	out := Schema{}
	for k, v := range s {
		out[k] = v
	}
	out["description"] = d
	return out
}

var (
	timeType   = reflect.TypeFor[time.Time]()
	rawType    = reflect.TypeFor[json.RawMessage]()
	schemaType = reflect.TypeFor[Schema]()
)

// schemaGen turns Go types into schemas, naming struct types as
// components so the document stays readable.
type schemaGen struct {
	components map[string]Schema
	names      map[reflect.Type]string
}

func newSchemaGen() *schemaGen {
	return &schemaGen{components: map[string]Schema{}, names: map[reflect.Type]string{}}
}

// SchemaOf describes the JSON encoding of v's type (encoding/json rules):
// struct fields by their json names; fields without omitempty are
// required; a pointer may be null; time.Time is a date-time string; every
// object has additionalProperties false so a response carrying an
// undocumented field fails validation. Struct tags add documentation:
// doc:"说明", enum:"a,b,c", format:"date".
func SchemaOf(v any) Schema {
	g := newSchemaGen()
	s := g.of(reflect.TypeOf(v), false)
	if len(g.components) > 0 {
		// Standalone use: inline the named parts.
		return inline(s, g.components)
	}
	return s
}

func inline(s Schema, comps map[string]Schema) Schema {
	var walk func(v any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case Schema:
			if ref, ok := x["$ref"].(string); ok && len(x) == 1 {
				return walk(comps[strings.TrimPrefix(ref, "#/components/schemas/")])
			}
			out := Schema{}
			for k, vv := range x {
				out[k] = walk(vv)
			}
			return out
		case map[string]any:
			out := map[string]any{}
			for k, vv := range x {
				out[k] = walk(vv)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, vv := range x {
				out[i] = walk(vv)
			}
			return out
		}
		return v
	}
	return walk(s).(Schema)
}

// value turns a Route value (nil, a Schema, or a Go value) into a schema.
func (g *schemaGen) value(v any) Schema {
	if s, ok := v.(Schema); ok {
		return s
	}
	return g.of(reflect.TypeOf(v), false)
}

func (g *schemaGen) of(t reflect.Type, nullable bool) Schema {
	if t == nil {
		return Schema{}
	}
	if t.Kind() == reflect.Pointer {
		return g.of(t.Elem(), true)
	}
	var s Schema
	switch {
	case t == timeType:
		s = Schema{"type": "string", "format": "date-time"}
	case t == rawType || t.Kind() == reflect.Interface:
		return Schema{} // any JSON value
	case t.Kind() == reflect.Struct:
		ref := g.named(t)
		if nullable {
			return Schema{"anyOf": []any{ref, Schema{"type": "null"}}}
		}
		return ref
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8:
		s = Schema{"type": "string", "contentEncoding": "base64"}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		s = Schema{"type": "array", "items": g.of(t.Elem(), false)}
	case t.Kind() == reflect.Map:
		s = Schema{"type": "object", "additionalProperties": g.of(t.Elem(), false)}
	case t.Kind() == reflect.String:
		s = Schema{"type": "string"}
	case t.Kind() == reflect.Bool:
		s = Schema{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		s = Schema{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		s = Schema{"type": "number"}
	default:
		panic("api: cannot describe type " + t.String())
	}
	if nullable {
		s = nullableOf(s)
	}
	return s
}

func nullableOf(s Schema) Schema {
	out := Schema{}
	for k, v := range s {
		out[k] = v
	}
	if typ, ok := out["type"].(string); ok {
		out["type"] = []any{typ, "null"}
	}
	if e, ok := out["enum"].([]any); ok {
		out["enum"] = append(append([]any{}, e...), nil)
	}
	return out
}

// named returns a $ref to the component for struct type t, building it on
// first use. Generic and anonymous structs are inlined.
func (g *schemaGen) named(t reflect.Type) Schema {
	name := t.Name()
	if name == "" || strings.ContainsAny(name, "[]") {
		return g.object(t)
	}
	if n, ok := g.names[t]; ok {
		return Schema{"$ref": "#/components/schemas/" + n}
	}
	if _, taken := g.components[name]; taken {
		// Same name in another package: qualify with the package's last element.
		pkg := t.PkgPath()
		name = pkg[strings.LastIndex(pkg, "/")+1:] + "." + name
	}
	g.names[t] = name
	g.components[name] = Schema{} // placeholder against recursion
	g.components[name] = g.object(t)
	return Schema{"$ref": "#/components/schemas/" + name}
}

func (g *schemaGen) object(t reflect.Type) Schema {
	props := Schema{}
	var required []any
	g.fields(t, props, &required)
	s := Schema{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func (g *schemaGen) fields(t reflect.Type, props Schema, required *[]any) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				g.fields(ft, props, required)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := g.of(f.Type, false) // a pointer comes back nullable
		if e := f.Tag.Get("enum"); e != "" {
			en := Enum(strings.Split(e, ",")...)
			if f.Type.Kind() == reflect.Pointer {
				en = nullableOf(en)
			}
			s = en
		}
		if fm := f.Tag.Get("format"); fm != "" {
			s = s.Describe("") // a copy
			delete(s, "description")
			s["format"] = fm
		}
		if d := f.Tag.Get("doc"); d != "" {
			if _, isRef := s["$ref"]; isRef {
				s = Schema{"allOf": []any{s}, "description": d}
			} else {
				s = s.Describe(d)
			}
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			*required = append(*required, name)
		}
	}
}
