package mediation

import (
	"errors"
	"strings"
	"testing"

	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

func TestCommitteesAndRooms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		list, total, err := w.st.Committees(w.ctx, w.scA, CommitteeFilter{})
		if err != nil || total != 2 || len(list) != 2 {
			t.Fatalf("county A committees: %d %v", total, err)
		}
		if list[0].HasDetail {
			t.Fatal("detail before saving")
		}
		wantField(t, w.st.SaveCommittee(w.ctx, w.scA, w.committeeA.ID, CommitteeInput{Level: "bogus"}), "level")
		wantField(t, w.st.SaveCommittee(w.ctx, w.scA, w.committeeA.ID, CommitteeInput{Level: "township", EstablishedOn: "2099-01-01"}), "established_on")
		if err := w.st.SaveCommittee(w.ctx, w.scA, w.committeeA.ID, CommitteeInput{Level: "township", EstablishedOn: "2011-01-01", Members: 7}); err != nil {
			t.Fatal(err)
		}
		if err := w.st.SaveCommittee(w.ctx, w.scA, w.committeeA.ID, CommitteeInput{Level: "township", EstablishedOn: "2011-01-01", Members: 9}); err != nil {
			t.Fatal(err)
		}
		c, err := w.st.Committee(w.ctx, w.scA, w.committeeA.ID)
		if err != nil || !c.HasDetail || c.Members != 9 || c.LevelName() != "乡镇(街道)人民调解委员会" || c.ParentName != w.officeA.Name {
			t.Fatalf("committee %+v %v", c, err)
		}
		// Level filter and subtree filter.
		if _, n, _ := w.st.Committees(w.ctx, w.scA, CommitteeFilter{Level: "township"}); n != 1 {
			t.Fatalf("township committees %d", n)
		}
		if _, n, _ := w.st.Committees(w.ctx, w.scA, CommitteeFilter{Under: w.villageA.ID}); n != 1 {
			t.Fatalf("committees under village %d", n)
		}
		if _, _, err := w.st.Committees(w.ctx, w.scA, CommitteeFilter{Under: w.officeB.ID}); err == nil {
			t.Fatal("filter by a neighbour's office")
		}
		// Not a committee → not found.
		if _, err := w.st.Committee(w.ctx, w.scA, w.officeA.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("office as committee: %v", err)
		}

		_, err = w.st.CreateRoom(w.ctx, w.scA, w.committeeA.ID, RoomInput{Name: ""})
		wantField(t, err, "name")
		_, err = w.st.CreateRoom(w.ctx, w.scA, w.committeeA.ID, RoomInput{Name: "调解室", Phone: "12"})
		wantField(t, err, "phone")
		_, err = w.st.CreateRoom(w.ctx, w.scA, w.committeeA.ID, RoomInput{Name: "调解室", Phone: phoneA})
		wantField(t, err, "phone") // a mobile is personal data: not kept in clear
		r, err := w.st.CreateRoom(w.ctx, w.scA, w.committeeA.ID, RoomInput{Name: "第一调解室", BrandName: "老杨调解室", Phone: "0827-5261234"})
		if err != nil || !r.Active || r.BrandName != "老杨调解室" || r.Phone != "08275261234" {
			t.Fatalf("room %+v %v", r, err)
		}
		r, err = w.st.UpdateRoom(w.ctx, w.scA, r.ID, RoomInput{Name: "第一调解室", Active: false})
		if err != nil || r.Active {
			t.Fatalf("deactivate %+v %v", r, err)
		}
		rooms, err := w.st.Rooms(w.ctx, w.scA, w.committeeA.ID)
		if err != nil || len(rooms) != 1 {
			t.Fatalf("rooms %v %v", rooms, err)
		}
		if n := w.audits(t, "mediation.create", "med_room") + w.audits(t, "mediation.update", "med_room"); n != 2 {
			t.Fatalf("room audits %d", n)
		}
		if n := w.audits(t, "mediation.update", "med_committee"); n != 2 {
			t.Fatalf("committee audits %d", n)
		}
	})
}

func TestMediators(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		for _, c := range []struct {
			in    MediatorInput
			field string
		}{
			{MediatorInput{OrgID: w.committeeA.ID}, "name"},
			{MediatorInput{Name: "张三"}, "org_id"},
			{MediatorInput{OrgID: w.villageA.ID, Name: "张三"}, "org_id"},
			{MediatorInput{OrgID: w.committeeB.ID, Name: "张三"}, "org_id"},
			{MediatorInput{OrgID: w.committeeA.ID, Name: "张三", IDNumber: "110105194912310021"}, person.FieldIDNumber},
			{MediatorInput{OrgID: w.committeeA.ID, Name: "张三", Phone: "12345"}, person.FieldPhone},
			{MediatorInput{OrgID: w.committeeA.ID, Name: "张三", Registered: true}, "registry_no"},
			{MediatorInput{OrgID: w.committeeA.ID, Name: "张三", Registered: true, RegistryNo: "BZ-001"}, "registered_on"},
			{MediatorInput{OrgID: w.committeeA.ID, Name: "张三", RegistryNo: "BZ-001"}, "registered"},
		} {
			_, err := w.st.CreateMediator(w.ctx, w.scA, c.in)
			wantField(t, err, c.field)
		}
		var persons int
		db.Read().QueryRow(w.ctx, `SELECT count(*) FROM persons`).Scan(&persons)
		if persons != 0 {
			t.Fatalf("refused mediators left %d persons", persons)
		}
		a := w.mediator(t, MediatorInput{Name: "王芳", IDNumber: idA, Phone: phoneA, FullTime: true, Title: "专职调解员",
			Registered: true, RegistryNo: "BZ-001", RegisteredOn: "2024-03-01"})
		if a.IDNumber != maskA || a.Phone != "138****5678" || a.SexName() != "女" || !a.FullTime || a.OrgName != w.committeeA.Name {
			t.Fatalf("mediator %+v", a)
		}
		// The same ID number links the existing registry person.
		b, err := w.st.CreateMediator(w.ctx, w.scA, MediatorInput{OrgID: w.officeA.ID, Name: "王芳", IDNumber: idA})
		if err != nil || b.PersonID != a.PersonID {
			t.Fatalf("reuse person: %+v %v", b, err)
		}
		_, err = w.st.CreateMediator(w.ctx, w.scA, MediatorInput{OrgID: w.officeA.ID, Name: "王芳", IDNumber: idA})
		wantField(t, err, person.FieldIDNumber) // already a mediator there
		_, err = w.st.CreateMediator(w.ctx, w.scA, MediatorInput{OrgID: w.committeeV.ID, Name: "李四", IDNumber: idA})
		wantField(t, err, person.FieldIDNumber) // name differs from the registry
		_, err = w.st.CreateMediator(w.ctx, w.scA, MediatorInput{OrgID: w.committeeV.ID, Name: "李四", Registered: true, RegistryNo: "BZ-001", RegisteredOn: "2024-01-01"})
		wantField(t, err, "registry_no")
		c := w.mediator(t, MediatorInput{OrgID: w.committeeV.ID, Name: "李四", IDNumber: idB, Phone: phoneB})

		// Update: masked numbers keep the stored ones; a new name reaches the registry.
		u, err := w.st.UpdateMediator(w.ctx, w.scA, a.ID, MediatorInput{OrgID: a.OrgID, Name: "王芳芳", IDNumber: a.IDNumber, Phone: a.Phone,
			FullTime: false, Registered: true, RegistryNo: "BZ-001", RegisteredOn: "2024-03-01", Active: true})
		if err != nil || u.Name != "王芳芳" || u.IDNumber != maskA || u.FullTime {
			t.Fatalf("update %+v %v", u, err)
		}
		p, err := w.st.Persons.Get(w.ctx, w.scA, a.PersonID)
		if err != nil || p.Name != "王芳芳" {
			t.Fatalf("registry name %q %v", p.Name, err)
		}
		full, err := w.st.Persons.Reveal(w.ctx, w.scA, true, a.PersonID, person.FieldIDNumber)
		if err != nil || full != idA {
			t.Fatalf("stored number changed: %v", err)
		}
		_, err = w.st.UpdateMediator(w.ctx, w.scA, c.ID, MediatorInput{OrgID: c.OrgID, Name: "李四", Active: true, Registered: true,
			RegistryNo: "BZ-001", RegisteredOn: "2024-01-01"})
		wantField(t, err, "registry_no")

		// Filters.
		check := func(f MediatorFilter, want int) {
			t.Helper()
			list, total, err := w.st.Mediators(w.ctx, w.scA, f)
			if err != nil || total != want || len(list) != want {
				t.Fatalf("filter %+v: %d/%d %v", f, len(list), total, err)
			}
		}
		check(MediatorFilter{}, 3)
		check(MediatorFilter{Registered: "yes"}, 1)
		check(MediatorFilter{Registered: "no"}, 2)
		check(MediatorFilter{FullTime: "yes"}, 0)
		check(MediatorFilter{Under: w.villageA.ID}, 1)
		check(MediatorFilter{Under: w.committeeA.ID}, 1)
		check(MediatorFilter{Name: "王"}, 2)
		check(MediatorFilter{Active: "no"}, 0)

		// Trainings.
		_, err = w.st.AddTraining(w.ctx, w.scA, a.ID, TrainingInput{HeldOn: "2025-05-01", Hours: 0, Topic: "x"})
		wantField(t, err, "hours")
		_, err = w.st.AddTraining(w.ctx, w.scA, a.ID, TrainingInput{HeldOn: "2025-05-01", Hours: 4})
		wantField(t, err, "topic")
		_, err = w.st.AddTraining(w.ctx, w.scA, a.ID, TrainingInput{HeldOn: "05/01/2025", Hours: 4, Topic: "x"})
		wantField(t, err, "held_on")
		t1, err := w.st.AddTraining(w.ctx, w.scA, a.ID, TrainingInput{HeldOn: "2025-05-01", Hours: 4, Topic: "民法典婚姻家庭编", Organizer: "巴州区司法局"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.st.AddTraining(w.ctx, w.scA, a.ID, TrainingInput{HeldOn: "2025-06-01", Hours: 2.5, Topic: "调解技巧"}); err != nil {
			t.Fatal(err)
		}
		ts, err := w.st.Trainings(w.ctx, w.scA, a.ID)
		if err != nil || len(ts) != 2 || ts[0].HeldOn != "2025-06-01" {
			t.Fatalf("trainings %v %v", ts, err)
		}
		if m, _ := w.st.Mediator(w.ctx, w.scA, a.ID); m.TrainingHours != 6.5 {
			t.Fatalf("hours %v", m.TrainingHours)
		}
		if _, err := w.st.DeleteTraining(w.ctx, w.scB, t1); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("neighbour deletes a training: %v", err)
		}
		if mid, err := w.st.DeleteTraining(w.ctx, w.scA, t1); err != nil || mid != a.ID {
			t.Fatal(err)
		}
		if w.audits(t, "mediation.create", "med_mediator") != 3 || w.audits(t, "mediation.update", "med_mediator") != 1 ||
			w.audits(t, "mediation.delete", "med_training") != 1 {
			t.Fatal("mediator audits")
		}
	})
}

// Only registered, active mediators of the township (the office's
// subtree) may be assigned; a county that does not require registration
// widens this.
func TestAssignableMediators(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		reg := func(no string) MediatorInput {
			return MediatorInput{Registered: true, RegistryNo: no, RegisteredOn: "2024-01-01"}
		}
		in := reg("A1")
		in.Name, in.OrgID = "甲", w.committeeA.ID
		a := w.mediator(t, in)
		in = reg("V1")
		in.Name, in.OrgID = "乙", w.committeeV.ID
		v := w.mediator(t, in)
		w.mediator(t, MediatorInput{Name: "丙", OrgID: w.committeeV.ID}) // not registered
		in = reg("O1")
		in.Name, in.OrgID = "丁", w.officeA.ID
		o := w.mediator(t, in)
		gone := w.mediator(t, MediatorInput{Name: "戊", OrgID: w.committeeV.ID, Registered: true, RegistryNo: "V2", RegisteredOn: "2024-01-01"})
		if _, err := w.st.UpdateMediator(w.ctx, w.scA, gone.ID, MediatorInput{OrgID: gone.OrgID, Name: "戊", Registered: true, RegistryNo: "V2",
			RegisteredOn: "2024-01-01", Active: false}); err != nil {
			t.Fatal(err)
		}
		names := func(sc org.Scope, orgID int64) string {
			t.Helper()
			ms, err := w.st.AssignableMediators(w.ctx, sc, orgID)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, m := range ms {
				out = append(out, m.Name)
			}
			return strings.Join(out, ",")
		}
		// A village committee's case may go to any registered mediator of
		// the township, ordered by org then name.
		if got := names(w.scA, w.committeeV.ID); got != "丁,甲,乙" && got != "丁,乙,甲" {
			t.Fatalf("assignable for village committee: %s", got)
		}
		if got := names(w.scA, w.officeA.ID); !strings.Contains(got, "甲") || !strings.Contains(got, "乙") || !strings.Contains(got, "丁") || strings.Contains(got, "丙") || strings.Contains(got, "戊") {
			t.Fatalf("assignable for office: %s", got)
		}
		if got := names(w.scB, w.committeeB.ID); got != "" {
			t.Fatalf("county B has no registered mediators: %s", got)
		}
		if _, err := w.st.AssignableMediators(w.ctx, w.scB, w.officeA.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("neighbour county: %v", err)
		}
		st := DefaultSettings()
		st.RequireRegistered = false
		if err := w.st.SaveSettings(w.ctx, w.scA, w.countyA.ID, 0, st); err != nil {
			t.Fatal(err)
		}
		if got := names(w.scA, w.committeeV.ID); !strings.Contains(got, "丙") || strings.Contains(got, "戊") {
			t.Fatalf("unregistered allowed by the county: %s", got)
		}
		_ = a
		_ = v
		_ = o
	})
}

func TestSettingsStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		st, err := w.st.Settings(w.ctx, w.scA, w.countyA.ID)
		if err != nil || st.PeriodDays != 30 {
			t.Fatalf("defaults %+v %v", st, err)
		}
		st.PeriodDays, st.ReminderDays = 45, 7
		st.SubsidyGrades = append(st.SubsidyGrades, SubsidyGrade{Code: "group", Name: "群体性纠纷", Amount: 800})
		if err := w.st.SaveSettings(w.ctx, w.scA, w.countyA.ID, 9, st); err != nil {
			t.Fatal(err)
		}
		// An office reads its county's settings; the neighbour does not.
		got, err := w.st.Settings(w.ctx, w.scOffice, w.countyA.ID)
		if err != nil || got.PeriodDays != 45 || len(got.SubsidyGrades) != 4 || got.SubsidyGrades[3].Amount != 800 {
			t.Fatalf("office reads %+v %v", got, err)
		}
		if got, err := w.st.SettingsForOrg(w.ctx, w.scOffice, w.committeeV.ID); err != nil || got.ReminderDays != 7 {
			t.Fatalf("for org %+v %v", got, err)
		}
		if _, err := w.st.Settings(w.ctx, w.scB, w.countyA.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("neighbour reads: %v", err)
		}
		// County B keeps the defaults.
		if b, _ := w.st.Settings(w.ctx, w.scB, w.countyB.ID); b.PeriodDays != 30 {
			t.Fatal("county B changed")
		}
		// Writes: only within scope, only counties, only valid values.
		if err := w.st.SaveSettings(w.ctx, w.scOffice, w.countyA.ID, 9, st); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("office writes the county: %v", err)
		}
		if err := w.st.SaveSettings(w.ctx, w.scB, w.countyA.ID, 9, st); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("neighbour writes: %v", err)
		}
		wantField(t, w.st.SaveSettings(w.ctx, w.scA, w.officeA.ID, 9, st), "county_org_id")
		bad := st
		bad.ReminderDays = 50
		wantField(t, w.st.SaveSettings(w.ctx, w.scA, w.countyA.ID, 9, bad), KeyReminderDays)
		// A city user may set any county below it.
		st.FollowUpDays = 60
		if err := w.st.SaveSettings(w.ctx, w.scCity, w.countyB.ID, 9, st); err != nil {
			t.Fatal(err)
		}
		// Saving the same values writes nothing and audits nothing more.
		if err := w.st.SaveSettings(w.ctx, w.scCity, w.countyB.ID, 9, st); err != nil {
			t.Fatal(err)
		}
		if n := w.audits(t, "mediation.update", "med_settings"); n != 2 {
			t.Fatalf("settings audits %d", n)
		}
		var detail string
		db.Read().QueryRow(w.ctx, `SELECT detail FROM audit_log WHERE object_type = 'med_settings' ORDER BY seq LIMIT 1`).Scan(&detail)
		if detail != "keys: period_days,reminder_days,subsidy_grades" {
			t.Fatalf("audit detail %q", detail)
		}
		if _, err := w.st.CountyOf(w.ctx, w.scA, w.committeeV.ID); err != nil {
			t.Fatal(err)
		}
	})
}

func TestScreenings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		base := ScreeningInput{OrgID: w.villageA.ID, HeldOn: "2026-01-20", Kind: "special", Reason: "春节前", Participants: "村调委会全体", Found: 2,
			Findings: []FindingInput{
				{Summary: "宅基地界址争议", DisputeType: "house_homestead", People: 2},
				{Summary: "农民工工资拖欠", DisputeType: "labour", People: 23, RiskGroup: true},
			}}
		for _, c := range []struct {
			edit  func(*ScreeningInput)
			field string
		}{
			{func(in *ScreeningInput) { in.OrgID = w.committeeA.ID }, "org_id"},
			{func(in *ScreeningInput) { in.OrgID = w.officeB.ID }, "org_id"},
			{func(in *ScreeningInput) { in.HeldOn = "" }, "held_on"},
			{func(in *ScreeningInput) { in.Kind = "x" }, "kind"},
			{func(in *ScreeningInput) { in.Reason = "" }, "reason"},
			{func(in *ScreeningInput) { in.Participants = "" }, "participants"},
			{func(in *ScreeningInput) { in.Found = 1 }, "found"},
			{func(in *ScreeningInput) { in.Findings[1].DisputeType = "" }, "f1_dispute_type"},
			{func(in *ScreeningInput) { in.Findings[0].People = 0 }, "f0_people"},
		} {
			in := base
			in.Findings = append([]FindingInput(nil), base.Findings...)
			c.edit(&in)
			_, err := w.st.CreateScreening(w.ctx, w.scA, 1, in)
			wantField(t, err, c.field)
		}
		id, err := w.st.CreateScreening(w.ctx, w.scA, 1, base)
		if err != nil {
			t.Fatal(err)
		}
		routine := ScreeningInput{OrgID: w.officeA.ID, HeldOn: "2026-02-03", Kind: "routine", Participants: "司法所", Found: 0}
		if _, err := w.st.CreateScreening(w.ctx, w.scA, 1, routine); err != nil {
			t.Fatal(err)
		}
		s, fs, err := w.st.Screening(w.ctx, w.scA, id)
		if err != nil || len(fs) != 2 || s.OpenHighRisk != 1 || s.Findings != 2 || !fs[1].HighRisk() || fs[1].Status != "open" {
			t.Fatalf("screening %+v %v %v", s, fs, err)
		}
		if _, _, err := w.st.Screening(w.ctx, w.scB, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("neighbour reads: %v", err)
		}
		fid, err := w.st.AddFinding(w.ctx, w.scA, id, FindingInput{Summary: "邻里噪音", DisputeType: "neighbour", People: 2})
		if err != nil {
			t.Fatal(err)
		}
		s, _, _ = w.st.Screening(w.ctx, w.scA, id)
		if s.Found != 3 || s.Findings != 3 {
			t.Fatalf("found grows with findings: %+v", s)
		}
		if _, err := w.st.SetFindingStatus(w.ctx, w.scA, fs[1].ID, "case"); err == nil {
			t.Fatal("case status set by hand")
		}
		if _, err := w.st.SetFindingStatus(w.ctx, w.scB, fs[1].ID, "resolved"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("neighbour resolves: %v", err)
		}
		if sid, err := w.st.SetFindingStatus(w.ctx, w.scA, fs[1].ID, "resolved"); err != nil || sid != id {
			t.Fatal(err)
		}
		s, _, _ = w.st.Screening(w.ctx, w.scA, id)
		if s.OpenHighRisk != 0 {
			t.Fatal("resolved finding still open high risk")
		}
		_ = fid
		list, total, err := w.st.Screenings(w.ctx, w.scA, ScreeningFilter{})
		if err != nil || total != 2 || list[0].HeldOn != "2026-02-03" {
			t.Fatalf("list %v %d %v", list, total, err)
		}
		if _, n, _ := w.st.Screenings(w.ctx, w.scA, ScreeningFilter{Kind: "special"}); n != 1 {
			t.Fatal("kind filter")
		}
		if _, n, _ := w.st.Screenings(w.ctx, w.scA, ScreeningFilter{From: "2026-02-01", To: "2026-02-28"}); n != 1 {
			t.Fatal("date filter")
		}
		if _, n, _ := w.st.Screenings(w.ctx, w.scA, ScreeningFilter{Under: w.villageA.ID}); n != 1 {
			t.Fatal("subtree filter")
		}
		if _, n, _ := w.st.Screenings(w.ctx, w.scB, ScreeningFilter{}); n != 0 {
			t.Fatal("neighbour lists")
		}
		rows := 0
		if err := w.st.ForEachFinding(w.ctx, w.scA, ScreeningFilter{}, func(s Screening, f *Finding) error { rows++; return nil }); err != nil || rows != 4 {
			t.Fatalf("ledger rows %d %v", rows, err)
		}
	})
}

// Every record of county A is invisible (not found) to county B.
func TestNeighbourCountyNotFound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		m := w.mediator(t, MediatorInput{Name: "王芳", IDNumber: idA})
		r, err := w.st.CreateRoom(w.ctx, w.scA, w.committeeA.ID, RoomInput{Name: "调解室"})
		if err != nil {
			t.Fatal(err)
		}
		nf := func(what string, err error) {
			t.Helper()
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: %v, want not found", what, err)
			}
		}
		_, err = w.st.Mediator(w.ctx, w.scB, m.ID)
		nf("mediator", err)
		_, err = w.st.Committee(w.ctx, w.scB, w.committeeA.ID)
		nf("committee", err)
		_, err = w.st.Room(w.ctx, w.scB, r.ID)
		nf("room", err)
		_, err = w.st.UpdateRoom(w.ctx, w.scB, r.ID, RoomInput{Name: "x"})
		nf("update room", err)
		nf("save committee", w.st.SaveCommittee(w.ctx, w.scB, w.committeeA.ID, CommitteeInput{Level: "village"}))
		_, err = w.st.UpdateMediator(w.ctx, w.scB, m.ID, MediatorInput{OrgID: m.OrgID, Name: "x"})
		nf("update mediator", err)
		_, err = w.st.AddTraining(w.ctx, w.scB, m.ID, TrainingInput{HeldOn: "2025-01-01", Hours: 1, Topic: "x"})
		nf("training", err)
		_, err = w.st.Trainings(w.ctx, w.scB, m.ID)
		nf("trainings", err)
		if list, _, _ := w.st.Mediators(w.ctx, w.scB, MediatorFilter{}); len(list) != 0 {
			t.Error("neighbour lists mediators")
		}
		// The zero scope sees nothing.
		if list, _, _ := w.st.Mediators(w.ctx, org.Scope{}, MediatorFilter{}); len(list) != 0 {
			t.Error("zero scope lists mediators")
		}
	})
}

// A person merge re-points the mediator to the surviving record.
func TestPersonMergeFollowsMediators(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		m := w.mediator(t, MediatorInput{Name: "王芳", Phone: phoneA})
		keep, err := w.st.Persons.Create(w.ctx, w.scA, person.Input{OrgID: w.officeA.ID, Kind: person.Natural, Name: "王芳", IDNumber: idA, Phone: phoneA})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.st.Persons.Merge(w.ctx, w.scA, keep.ID, m.PersonID); err != nil {
			t.Fatal(err)
		}
		got, err := w.st.Mediator(w.ctx, w.scA, m.ID)
		if err != nil || got.PersonID != keep.ID || got.IDNumber != maskA {
			t.Fatalf("after merge %+v %v", got, err)
		}
	})
}
