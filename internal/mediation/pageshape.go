package mediation

import (
	"context"
	"net/http"

	"fengqiao/internal/org"
	"fengqiao/internal/web"
)

// windowed is a list filter that can be paged and, when the user's filter
// is refused (a subtree outside the scope), widened to a safe one.
type windowed[F any] interface {
	window(limit, offset int) F
	widen() F
}

// pagedList is the shape of every mediation list page: count first so the
// pager can clamp the page, fall back to the widened filter with the error
// left on the form, then fetch the page.
func pagedList[F windowed[F], T any](r *http.Request, form *web.Form, f F,
	list func(context.Context, org.Scope, F) ([]T, int, error)) ([]T, web.Pager, error) {
	ctx, sc := r.Context(), scope(r)
	_, total, err := list(ctx, sc, f.window(1, 0))
	if err != nil {
		if !form.FailErr(err) {
			return nil, web.Pager{}, err
		}
		f = f.widen()
		if _, total, err = list(ctx, sc, f.window(1, 0)); err != nil {
			return nil, web.Pager{}, err
		}
	}
	pg := web.NewPager(r, total)
	items, _, err := list(ctx, sc, f.window(pg.Size, pg.Offset()))
	return items, pg, err
}

func (f CommitteeFilter) window(limit, offset int) CommitteeFilter {
	f.Limit, f.Offset = limit, offset
	return f
}
func (f CommitteeFilter) widen() CommitteeFilter { f.Under = 0; return f }

func (f MediatorFilter) window(limit, offset int) MediatorFilter {
	f.Limit, f.Offset = limit, offset
	return f
}
func (f MediatorFilter) widen() MediatorFilter { f.Under = 0; return f }

func (f ScreeningFilter) window(limit, offset int) ScreeningFilter {
	f.Limit, f.Offset = limit, offset
	return f
}

// widen keeps only the kind: the date range or subtree was refused.
func (f ScreeningFilter) widen() ScreeningFilter { return ScreeningFilter{Kind: f.Kind} }

// saved ends a form POST: on success it flashes and redirects; on a field
// error it leaves the error on the form and returns false so the caller
// re-renders; anything else is a server error. It reports whether the
// response is written.
func (h *Handler) saved(w http.ResponseWriter, r *http.Request, form *web.Form, err error, flash, to string) bool {
	if err == nil {
		web.SetFlash(w, flash)
		web.Redirect(w, r, to)
		return true
	}
	if !form.FailErr(err) {
		h.fail(w, r, err)
		return true
	}
	return false
}

// byPathID loads the record the path's {id} names within the caller's
// scope. It answers 404 itself (malformed, missing or out of scope) or 500,
// and then reports false.
func byPathID[T any](h *Handler, w http.ResponseWriter, r *http.Request,
	get func(context.Context, org.Scope, int64) (T, error)) (T, int64, bool) {
	var zero T
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return zero, 0, false
	}
	v, err := get(r.Context(), scope(r), id)
	if err != nil {
		h.fail(w, r, err)
		return zero, 0, false
	}
	return v, id, true
}
