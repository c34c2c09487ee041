package web

import (
	"errors"
	"net/url"
	"strings"
)

// Form holds submitted values and the validation errors found on the server.
type Form struct {
	Values url.Values
	Errors map[string]string
	order  []string // fields in the order they failed, for the summary
}

// NewForm wraps submitted values (nil gives an empty form).
func NewForm(v url.Values) *Form {
	if v == nil {
		v = url.Values{}
	}
	return &Form{Values: v, Errors: map[string]string{}}
}

// Get returns the trimmed value of field k.
func (f *Form) Get(k string) string {
	if f == nil {
		return ""
	}
	return strings.TrimSpace(f.Values.Get(k))
}

// Fail records msg (Chinese) against field; the first error of a field is kept.
// Field "" is an error about the whole form.
func (f *Form) Fail(field, msg string) {
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	if _, dup := f.Errors[field]; dup {
		return
	}
	f.Errors[field] = msg
	f.order = append(f.order, field)
}

// OK reports whether no error was recorded.
func (f *Form) OK() bool { return f == nil || len(f.Errors) == 0 }

// FieldCount is the number of errors tied to a field (not the whole form).
func (f *Form) FieldCount() int {
	n := 0
	if f != nil {
		for k := range f.Errors {
			if k != "" {
				n++
			}
		}
	}
	return n
}

// Error returns the error of field, "" when none.
func (f *Form) Error(field string) string {
	if f == nil {
		return ""
	}
	return f.Errors[field]
}

// FieldError is one entry of the error summary.
type FieldError struct{ Field, Message string }

// List returns the errors in the order they were recorded.
func (f *Form) List() []FieldError {
	if f == nil {
		return nil
	}
	out := make([]FieldError, 0, len(f.Errors))
	seen := map[string]bool{}
	for _, k := range f.order {
		out = append(out, FieldError{k, f.Errors[k]})
		seen[k] = true
	}
	for k, m := range f.Errors { // set directly on the map
		if !seen[k] {
			out = append(out, FieldError{k, m})
		}
	}
	return out
}

// FailErr records a validation error returned by a service: any error in the chain with
// string fields Field and Message (such as *org.FieldError) or with methods
// FieldName() and FieldMessage(). It reports whether err was such an error.
func (f *Form) FailErr(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if field, msg, ok := fieldOf(e); ok {
			f.Fail(field, msg)
			return true
		}
	}
	return false
}
