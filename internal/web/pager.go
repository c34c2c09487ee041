package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Page sizes a list accepts through ?size=.
const (
	DefaultPageSize = 20
	MaxPageSize     = 200
)

// Pager paginates a list. Page is 1-based; Base holds the current filters (without "page").
type Pager struct {
	Page, Size, Total int
	Base              url.Values
	Path              string // the list's path, so htmx fragments link to the list itself
}

// NewPager reads ?page= and ?size= from req; a page past the end becomes the last page.
func NewPager(req *http.Request, total int) Pager {
	q := req.URL.Query()
	p := Pager{Size: DefaultPageSize, Total: max(total, 0), Path: req.URL.Path}
	if n, err := strconv.Atoi(q.Get("size")); err == nil && n > 0 {
		p.Size = min(n, MaxPageSize)
	}
	p.Page, _ = strconv.Atoi(q.Get("page"))
	p.Page = max(min(p.Page, p.Pages()), 1)
	q.Del("page")
	for k, vs := range q {
		if len(vs) == 0 || (len(vs) == 1 && vs[0] == "") {
			q.Del(k) // keep links short: empty filters mean no filter
		}
	}
	p.Base = q
	return p
}

// Pages is the number of pages (at least 1).
func (p Pager) Pages() int {
	if p.Size <= 0 || p.Total == 0 {
		return 1
	}
	return (p.Total + p.Size - 1) / p.Size
}

// Offset is the SQL OFFSET of the current page; use Size as LIMIT.
func (p Pager) Offset() int { return (max(p.Page, 1) - 1) * p.Size }

func (p Pager) HasPrev() bool { return p.Page > 1 }
func (p Pager) HasNext() bool { return p.Page < p.Pages() }
func (p Pager) Prev() int     { return max(p.Page-1, 1) }
func (p Pager) Next() int     { return min(p.Page+1, p.Pages()) }

// From and To number the rows shown (1-based, 0 when the list is empty).
func (p Pager) From() int { return min(p.Offset()+1, p.Total) }
func (p Pager) To() int   { return min(p.Offset()+p.Size, p.Total) }

// URL links to page n keeping the filters.
func (p Pager) URL(n int) string {
	q := url.Values{}
	for k, v := range p.Base {
		q[k] = v
	}
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	if len(q) == 0 {
		return p.Path
	}
	return p.Path + "?" + q.Encode()
}

// Window lists the page numbers to show around the current one; 0 marks a gap (…).
func (p Pager) Window() []int {
	last := p.Pages()
	var out []int
	add := func(n int) {
		if len(out) > 0 && n > out[len(out)-1]+1 {
			out = append(out, 0)
		}
		out = append(out, n)
	}
	add(1)
	for n := max(p.Page-2, 2); n <= min(p.Page+2, last-1); n++ {
		add(n)
	}
	if last > 1 {
		add(last)
	}
	return out
}

// Sort is the current ?sort= value: "name" ascending, "-name" descending.
func (p Pager) Sort() string { return p.Base.Get("sort") }

// SortURL links to the list sorted by key, toggling the direction when already sorted by it;
// the page goes back to 1.
func (p Pager) SortURL(key string) string {
	q := Pager{Base: url.Values{}, Path: p.Path}
	for k, v := range p.Base {
		q.Base[k] = v
	}
	dir := key
	if p.Sort() == key {
		dir = "-" + key
	}
	q.Base.Set("sort", dir)
	return q.URL(1)
}

// SortMark is "▲" or "▼" for the column the list is sorted by, "" otherwise.
func (p Pager) SortMark(key string) string {
	switch s := p.Sort(); {
	case s == key:
		return "▲"
	case strings.TrimPrefix(s, "-") == key && strings.HasPrefix(s, "-"):
		return "▼"
	}
	return ""
}
