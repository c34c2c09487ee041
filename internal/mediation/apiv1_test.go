package mediation

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"fengqiao/internal/api/apitest"
	"fengqiao/internal/person/leakscan"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

func TestCaseAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		env := apitest.New(t, s.mux, s.h)
		for _, u := range []string{"staff", "head", "secb", "vmed"} {
			env.Session(u, s.cookie(u).Value)
		}
		body := map[string]any{"org_id": s.committeeA.ID, "source": "court", "referring_org": "巴州区人民法院", "source_ref": "(2026)川1902民诉前调1号",
			"dispute_type": "contract", "amount": "50000", "people": 2, "summary": "货款拖欠",
			"parties": []map[string]any{{"role": "applicant", "name": "王秀英", "id_number": idA, "phone": phoneA}, {"role": "respondent", "name": "某建材商行"}}}
		var id string
		noLeak := func(t *testing.T, res *httptest.ResponseRecorder) {
			if found := leakscan.Scan(res.Body.Bytes()); len(found) > 0 {
				t.Fatalf("clear number in API answer: %s", found[0].Masked)
			}
		}
		env.Run(t, []apitest.Scenario{
			{Name: "anonymous", Method: "GET", URL: "/api/v1/mediation/cases", Status: 401},
			{Name: "bad party number", As: "staff", Method: "POST", URL: "/api/v1/mediation/cases", Status: 422,
				Body: map[string]any{"org_id": s.committeeA.ID, "source": "application", "dispute_type": "contract", "people": 2, "summary": "x",
					"parties": []map[string]any{{"role": "applicant", "name": "甲", "id_number": "110105194912310021"}}},
				JSON: map[string]any{"error.fields.0.field": "p0_id_number"}},
			{Name: "intake", As: "staff", Method: "POST", URL: "/api/v1/mediation/cases", Body: body, Status: 201,
				JSON: map[string]any{"state": "registered", "amount": "50000", "parties.#": 2, "parties.0.id_number": maskA, "actions.#": 0},
				Check: func(t *testing.T, res *httptest.ResponseRecorder) {
					noLeak(t, res)
					var c MediationCase
					if err := json.Unmarshal(res.Body.Bytes(), &c); err != nil {
						t.Fatal(err)
					}
					id = itoa(c.ID)
				}},
		})
		base := "/api/v1/mediation/cases/" + id
		env.Run(t, []apitest.Scenario{
			{Name: "get", As: "head", Method: "GET", URL: base, Status: 200, JSON: map[string]any{"actions.#": 2, "actions.0": "accept"}, Check: noLeak},
			{Name: "neighbour get", As: "secb", Method: "GET", URL: base, Status: 404},
			{Name: "neighbour transition", As: "secb", Method: "POST", URL: base + "/transitions/accept", Body: map[string]any{}, Status: 404},
			{Name: "neighbour list", As: "secb", Method: "GET", URL: "/api/v1/mediation/cases", Status: 200, JSON: map[string]any{"total": 0}},
			{Name: "staff cannot accept", As: "staff", Method: "POST", URL: base + "/transitions/accept", Body: map[string]any{}, Status: 403},
			{Name: "accept", As: "head", Method: "POST", URL: base + "/transitions/accept", Body: map[string]any{"version": 1}, Status: 200,
				JSON: map[string]any{"state": "accepted", "deadlines.0.code": "period", "deadlines.0.status": "ok"}},
			{Name: "stale version", As: "head", Method: "POST", URL: base + "/transitions/start", Body: map[string]any{"version": 1}, Status: 409},
			{Name: "wrong state", As: "head", Method: "POST", URL: base + "/transitions/perform", Body: map[string]any{"fields": map[string]string{"performed_on": today()}}, Status: 409},
			{Name: "start", As: "head", Method: "POST", URL: base + "/transitions/start", Body: map[string]any{}, Status: 200},
			{Name: "written agreement missing an item", As: "head", Method: "POST", URL: base + "/transitions/succeed", Status: 422,
				Body: map[string]any{"fields": map[string]string{"agreement_form": "written", "terms": "分三期付清"}}, JSON: map[string]any{"error.fields.0.field": "issues"}},
			{Name: "fail without referral", As: "head", Method: "POST", URL: base + "/transitions/fail", Body: map[string]any{}, Status: 422,
				JSON: map[string]any{"error.fields.0.field": "referral"}},
			{Name: "fail", As: "head", Method: "POST", URL: base + "/transitions/fail", Body: map[string]any{"fields": map[string]string{"referral": "litigation"}},
				Status: 200, JSON: map[string]any{"state": "failed", "referral": "litigation", "actions.#": 0}},
			{Name: "list filtered", As: "head", Method: "GET", URL: "/api/v1/mediation/cases?state=failed&source=court&size=5", Status: 200,
				JSON: map[string]any{"total": 1, "items.0.referral": "litigation", "items.0.parties.#": 2}, Check: noLeak},
			{Name: "bad filter", As: "head", Method: "GET", URL: "/api/v1/mediation/cases?risk=maybe", Status: 422},
			{Name: "village mediator sees nothing outside the village", As: "vmed", Method: "GET", URL: base, Status: 404},
		})
	})
}
