package mediation

import (
	"context"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/docs"
	"fengqiao/internal/org"
	"fengqiao/internal/web"
)

// CaseDocument fills document code with the case's data. Party rows carry
// the masked ID numbers and phones: a printed form is completed and signed
// by hand, and no export of the system carries a full number.
func (s *Store) CaseDocument(ctx context.Context, sc org.Scope, t docs.Templates, code string, c *Case) ([]byte, error) {
	d, ok := DocumentByCode(code)
	if !ok {
		return nil, fe("code", "未知的文书")
	}
	data := make(map[string]string, len(Placeholders))
	for k := range Placeholders {
		data[k] = ""
	}
	var regs, meds []string
	for _, m := range c.Mediators {
		meds = append(meds, m.Name)
	}
	regs = append(regs, c.HandlerName)
	for k, v := range c.Agreement {
		data[k] = v
	}
	set := map[string]string{
		"committee": c.OrgName, "case_no": c.Number, "case_title": c.Title, "party_names": c.PartyNames(),
		"dispute_type": c.DisputeTypeName(), "source": c.SourceName(), "facts": c.Summary, "registered_on": c.RegisteredOn(),
		"applied_on": c.RegisteredOn(), "accepted_on": c.AcceptedOn, "registrar": strings.Join(regs, ""), "mediator": c.MediatorNames(),
		"terms": c.Terms, "agreement_date": c.AgreedOn, "followup_on": c.FollowUpOn, "performance_status": c.PerformanceNote,
		"notes": c.FollowUpNote, "closed_on": c.ClosedOn(), "result": c.ResultName(),
	}
	if c.AcceptedOn != "" {
		set["accept_decision"] = "同意受理"
	} else if c.DeclineReason != "" {
		set["accept_decision"] = "不予受理：" + c.DeclineReason
	}
	if n := len(c.Sessions); n > 0 {
		last := c.Sessions[n-1]
		set["held_on"], set["place"], set["participants"], set["content"] = last.HeldOn, last.Place, last.Attendees, last.Record
	}
	for k, v := range set {
		if v != "" || data[k] == "" {
			data[k] = v
		}
	}
	raw, err := t.Open(d.File)
	if err != nil {
		return nil, err
	}
	xml, err := documentXML(raw)
	if err != nil {
		return nil, err
	}
	tables := map[string][][]string{}
	if strings.Contains(xml, "{parties.") {
		var rows [][]string
		for _, p := range c.Parties {
			row := []string{p.RoleName(), p.Name, "", "", p.IDNumber, p.Phone, ""}
			if got, err := s.Persons.Get(ctx, sc, p.PersonID); err == nil {
				row[2], row[6] = got.SexName(), got.Address
				if b, err := time.Parse(time.DateOnly, got.BirthDate); err == nil {
					now := Clock().In(web.Shanghai)
					age := now.Year() - b.Year()
					if now.YearDay() < b.YearDay() {
						age--
					}
					row[3] = strconv.Itoa(age)
				}
			}
			rows = append(rows, row)
		}
		if len(rows) == 0 {
			rows = make([][]string, 1)
		}
		tables["parties"] = rows
	}
	if strings.Contains(xml, "{items.") {
		var rows [][]string
		rows = append(rows, []string{"1", "人民调解受理登记表", c.RegisteredOn(), "", ""})
		for _, ss := range c.Sessions {
			rows = append(rows, []string{strconv.Itoa(len(rows) + 1), nameOf(SessionKinds, ss.Kind), ss.HeldOn, "", ""})
		}
		if c.AgreementForm != "" {
			rows = append(rows, []string{strconv.Itoa(len(rows) + 1), c.AgreementFormName(), c.AgreedOn, "", ""})
		}
		if c.FollowUpOn != "" {
			rows = append(rows, []string{strconv.Itoa(len(rows) + 1), "人民调解回访记录", c.FollowUpOn, "", ""})
		}
		tables["items"] = rows
	}
	return docs.RenderDocx(raw, data, tables)
}
