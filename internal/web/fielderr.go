package web

import "reflect"

// fieldOf extracts Field and Message from a field-error value by shape, so web does not
// depend on every package's error type.
func fieldOf(err error) (field, msg string, ok bool) {
	if fe, isFE := err.(interface {
		FieldName() string
		FieldMessage() string
	}); isFE {
		return fe.FieldName(), fe.FieldMessage(), true
	}
	v := reflect.ValueOf(err)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "", "", false
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return "", "", false
	}
	f, m := v.FieldByName("Field"), v.FieldByName("Message")
	if !f.IsValid() || !m.IsValid() || f.Kind() != reflect.String || m.Kind() != reflect.String {
		return "", "", false
	}
	return f.String(), m.String(), true
}
