package searchui

import (
	"net/http"
	"strconv"
	"strings"

	"fengqiao/internal/api"
	"fengqiao/internal/auth"
	"fengqiao/internal/search"
)

func init() {
	api.DescribeTag("search", "全文检索(当事人与各条线案件，只返回调用者有权打开的记录)")
}

func (h *Handler) apiRoutes(mux *http.ServeMux) {
	api.Register(mux, api.Route{Method: "GET", Path: "/api/v1/search", Tag: "search", Paged: true, Perms: linePerms(),
		Summary: "全文检索当事人和案件(管辖范围内，标题命中的在前)",
		Description: "检索词按汉字二字词、单字或英文、数字词匹配，各词须同时出现。证件号码、电话号码不能检索。" +
			"kinds 为空时检索调用者可见的全部类型；指定了调用者不可见的类型时返回 422。" +
			"只检索最新的 " + strconv.Itoa(search.MaxHits) + " 条命中：total 为 " + strconv.Itoa(search.MaxHits+1) +
			" 表示超过 " + strconv.Itoa(search.MaxHits) + " 条，请增加检索词缩小范围。",
		Query: []api.Param{
			api.Q("q", "检索词(必填，最多 100 字)", api.String()),
			api.Q("kinds", "逗号分隔的类型：person 当事人，case_<条线>(如 case_mediation)该条线的案件", api.String()),
		},
		Responses: api.Responses{200: Result{}}}, h.apiSearch)
}

func (h *Handler) apiSearch(w http.ResponseWriter, r *http.Request) {
	pg, err := api.ParsePage(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		api.Fail(w, r, api.Invalid("q", "请填写检索词"))
		return
	}
	gs := groups(auth.FromContext(r.Context()))
	if v := strings.TrimSpace(r.URL.Query().Get("kinds")); v != "" {
		byKind := map[string]Group{}
		for _, g := range gs {
			byKind[g.Kind] = g
		}
		gs = gs[:0:0]
		seen := map[string]bool{}
		for _, k := range strings.Split(v, ",") {
			k = strings.TrimSpace(k)
			g, ok := byKind[k]
			if !ok {
				api.Fail(w, r, api.Invalid("kinds", "不能检索的类型："+k))
				return
			}
			if !seen[k] {
				seen[k] = true
				gs = append(gs, g)
			}
		}
	}
	res, total, err := h.find(r.Context(), gs, q, pg.Size, pg.Offset())
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.WriteList(w, pg, res, total)
}
