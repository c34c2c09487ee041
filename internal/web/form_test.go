package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// shapeErr has the shape of org.FieldError.
type shapeErr struct{ Field, Message string }

func (e *shapeErr) Error() string { return e.Field + ": " + e.Message }

func TestForm(t *testing.T) {
	f := NewForm(url.Values{"name": {"  张三 "}, "phone": {""}})
	if f.Get("name") != "张三" || f.Get("missing") != "" || !f.OK() {
		t.Fatal("Get/OK on fresh form")
	}
	f.Fail("phone", "联系电话必填")
	f.Fail("phone", "second error ignored")
	f.Fail("", "该记录已被他人修改")
	if f.OK() || f.Error("phone") != "联系电话必填" || f.Error("name") != "" {
		t.Fatalf("errors %v", f.Errors)
	}
	list := f.List()
	if len(list) != 2 || list[0].Field != "phone" || list[1].Field != "" {
		t.Errorf("List order %v", list)
	}
	wrapped := fmt.Errorf("create: %w", &shapeErr{"division_code", "行政区划代码无效"})
	if !f.FailErr(wrapped) || f.Error("division_code") != "行政区划代码无效" {
		t.Error("FailErr did not take the field error")
	}
	if f.FailErr(errors.New("db down")) {
		t.Error("FailErr took a plain error")
	}
	var nilForm *Form
	if !nilForm.OK() || nilForm.Get("x") != "" || nilForm.Error("x") != "" || nilForm.List() != nil {
		t.Error("nil form methods")
	}
	if NewForm(nil).Values == nil {
		t.Error("NewForm(nil) values nil")
	}
}

func TestFormRendering(t *testing.T) {
	r := newRenderer(t, Options{})
	f := NewForm(url.Values{"name": {"<b>x</b>"}, "kind": {"b"}})
	f.Fail("name", "姓名不能包含符号")
	w := httptest.NewRecorder()
	r.Render(w, get("/f", viewer()), http.StatusUnprocessableEntity, "demo/form.html", &Page{Form: f})
	body := w.Body.String()
	if w.Code != 422 {
		t.Errorf("status %d", w.Code)
	}
	mustContain(t, body,
		`<div class="error-summary" role="alert" tabindex="-1">`, "提交未成功，请修正以下 1 处错误：",
		`<a href="#f-name">姓名不能包含符号</a>`,
		`<div class="field has-error">`, `<label for="f-name">姓名<span class="req"`,
		`value="&lt;b&gt;x&lt;/b&gt;"`, `aria-invalid="true" aria-describedby="e-name"`,
		`<p class="field-error" id="e-name">姓名不能包含符号</p>`,
		`<option value="b" selected>乙</option>`, `<option value="">请选择</option>`)
	// The error sits under its input.
	if strings.Index(body, `id="e-name"`) < strings.Index(body, `id="f-name"`) {
		t.Error("error shown above the field")
	}
	checkCSPClean(t, body)

	w = httptest.NewRecorder()
	r.Render(w, get("/f", viewer()), 200, "demo/form.html", &Page{}) // nil Form: fresh form page
	body = w.Body.String()
	mustNotContain(t, body, "error-summary", "has-error")
	mustContain(t, body, `name="name" value=""`)
}

func TestPager(t *testing.T) {
	req := httptest.NewRequest("GET", "/cases?status=open&q=%E5%BC%A0&page=3&empty=&size=10", nil)
	p := NewPager(req, 95)
	if p.Page != 3 || p.Size != 10 || p.Pages() != 10 || p.Offset() != 20 || p.From() != 21 || p.To() != 30 {
		t.Fatalf("pager %+v pages %d offset %d", p, p.Pages(), p.Offset())
	}
	if got := p.URL(4); got != "/cases?page=4&q=%E5%BC%A0&size=10&status=open" {
		t.Errorf("URL(4) = %s", got)
	}
	if got := p.URL(1); got != "/cases?q=%E5%BC%A0&size=10&status=open" {
		t.Errorf("URL(1) = %s", got)
	}
	if !p.HasPrev() || !p.HasNext() || p.Prev() != 2 || p.Next() != 4 {
		t.Error("prev/next")
	}
	if got := fmt.Sprint(p.Window()); got != "[1 2 3 4 5 0 10]" {
		t.Errorf("window %s", got)
	}
	if got := p.SortURL("name"); got != "/cases?q=%E5%BC%A0&size=10&sort=name&status=open" {
		t.Errorf("SortURL %s", got)
	}

	// Past the end → last page; nonsense → first; huge size capped.
	p = NewPager(httptest.NewRequest("GET", "/x?page=99&size=100000", nil), 450)
	if p.Page != 3 || p.Size != MaxPageSize || p.HasNext() || p.To() != 450 {
		t.Errorf("clamped pager %+v", p)
	}
	p = NewPager(httptest.NewRequest("GET", "/x?page=-4&sort=name", nil), 0)
	if p.Page != 1 || p.Pages() != 1 || p.Offset() != 0 || p.From() != 0 || p.HasPrev() || p.HasNext() {
		t.Errorf("empty pager %+v", p)
	}
	if p.SortURL("name") != "/x?sort=-name" || p.SortMark("name") != "▲" || p.SortMark("date") != "" {
		t.Errorf("sort toggle %s", p.SortURL("name"))
	}
	if got := fmt.Sprint(NewPager(httptest.NewRequest("GET", "/x?page=10", nil), 200).Window()); got != "[1 0 8 9 10]" {
		t.Errorf("window at end %s", got)
	}
}

func TestPagerPartial(t *testing.T) {
	r := newRenderer(t, Options{})
	req := get("/cases?page=2&status=open", viewer())
	w := httptest.NewRecorder()
	r.Render(w, req, 200, "demo/pager.html", &Page{Data: NewPager(req, 45)})
	mustContain(t, w.Body.String(), "第 21–40 条，共 45 条", `<span class="current" aria-current="page">2</span>`,
		`href="/cases?page=3&amp;status=open" rel="next" hx-get="/cases?page=3&amp;status=open" hx-target="#tbl" hx-push-url="true"`,
		`href="/cases?status=open" rel="prev"`)
	w = httptest.NewRecorder()
	r.Render(w, get("/cases", viewer()), 200, "demo/pager.html", &Page{Data: NewPager(req, 0)})
	mustNotContain(t, w.Body.String(), `class="pager"`)
}
