package mediation

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// SubsidyGrade is one grade of the per-case subsidy (以案定补) [local].
type SubsidyGrade struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Amount   int    `json:"amount"` // yuan
	Criteria string `json:"criteria"`
}

// Settings are a county's local mediation values. Every field is a
// [local] default from rules.go that the county may change.
type Settings struct {
	PeriodDays        int            // mediation period (rule "period")
	ReminderDays      int            // remind this many days before the period ends (rule "reminder")
	FollowUpDays      int            // follow-up visit within this many days after the agreement (rule "follow_up")
	RequireRegistered bool           // only registered mediators may be assigned (rule "registered_only")
	SubsidyGrades     []SubsidyGrade // rule "subsidy_grades"
}

// Setting keys stored in med_settings.
const (
	KeyPeriodDays        = "period_days"
	KeyReminderDays      = "reminder_days"
	KeyFollowUpDays      = "follow_up_days"
	KeyRequireRegistered = "require_registered"
	KeySubsidyGrades     = "subsidy_grades"
)

// DefaultSettings are the code defaults a county starts with.
func DefaultSettings() Settings {
	return Settings{
		PeriodDays:        DefaultPeriodDays,
		ReminderDays:      5,
		FollowUpDays:      30,
		RequireRegistered: true,
		SubsidyGrades: []SubsidyGrade{
			{"ordinary", "一般纠纷", 100, "事实清楚、争议不大，一次调解成功并履行"},
			{"major", "较大纠纷", 300, "涉及人数较多、金额较大或经多次调解成功并履行"},
			{"serious", "重大疑难纠纷", 500, "有民转刑、群体性事件风险或重大疑难复杂，调解成功并履行"},
		},
	}
}

var gradeCodeOK = func(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// Validate checks s and returns the first problem as *org.FieldError.
// Grade fields are named grade_<i>_<field> (i from 0).
func (s *Settings) Validate() error {
	switch {
	case s.PeriodDays < 1 || s.PeriodDays > 180:
		return fe(KeyPeriodDays, "调解期限应为1至180日")
	case s.ReminderDays < 0 || s.ReminderDays >= s.PeriodDays:
		return fe(KeyReminderDays, "提前提醒天数应不小于0且小于调解期限")
	case s.FollowUpDays < 1 || s.FollowUpDays > 365:
		return fe(KeyFollowUpDays, "回访时限应为1至365日")
	case len(s.SubsidyGrades) == 0:
		return fe("grade_0_name", "至少设置一个补贴等级")
	case len(s.SubsidyGrades) > 10:
		return fe(KeySubsidyGrades, "补贴等级不能超过10个")
	}
	seen := map[string]bool{}
	for i := range s.SubsidyGrades {
		g := &s.SubsidyGrades[i]
		g.Code, g.Name, g.Criteria = strings.TrimSpace(g.Code), strings.TrimSpace(g.Name), strings.TrimSpace(g.Criteria)
		f := func(name string) string { return fmt.Sprintf("grade_%d_%s", i, name) }
		switch {
		case !gradeCodeOK(g.Code):
			return fe(f("code"), fmt.Sprintf("第%d个等级的代码应为1至20位小写字母、数字或下划线", i+1))
		case seen[g.Code]:
			return fe(f("code"), fmt.Sprintf("第%d个等级的代码与前面的等级重复", i+1))
		case g.Name == "" || utf8.RuneCountInString(g.Name) > 20:
			return fe(f("name"), fmt.Sprintf("第%d个等级的名称必填，不超过20字", i+1))
		case g.Amount < 1 || g.Amount > 100000:
			return fe(f("amount"), fmt.Sprintf("第%d个等级的补贴金额应为1至100000元", i+1))
		case utf8.RuneCountInString(g.Criteria) > 200:
			return fe(f("criteria"), fmt.Sprintf("第%d个等级的认定标准不超过200字", i+1))
		}
		seen[g.Code] = true
	}
	return nil
}

// Grade returns the subsidy grade with code.
func (s Settings) Grade(code string) (SubsidyGrade, bool) {
	for _, g := range s.SubsidyGrades {
		if g.Code == code {
			return g, true
		}
	}
	return SubsidyGrade{}, false
}

// values maps each key to its JSON value.
func (s Settings) values() (map[string]string, error) {
	out := map[string]string{}
	for k, v := range map[string]any{KeyPeriodDays: s.PeriodDays, KeyReminderDays: s.ReminderDays, KeyFollowUpDays: s.FollowUpDays,
		KeyRequireRegistered: s.RequireRegistered, KeySubsidyGrades: s.SubsidyGrades} {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		out[k] = string(b)
	}
	return out, nil
}

// apply overlays one stored value; unknown keys and bad JSON are ignored
// so an old row cannot break the page (the default shows instead).
func (s *Settings) apply(key, value string) {
	var target any
	switch key {
	case KeyPeriodDays:
		target = &s.PeriodDays
	case KeyReminderDays:
		target = &s.ReminderDays
	case KeyFollowUpDays:
		target = &s.FollowUpDays
	case KeyRequireRegistered:
		target = &s.RequireRegistered
	case KeySubsidyGrades:
		var gs []SubsidyGrade
		if json.Unmarshal([]byte(value), &gs) == nil && len(gs) > 0 {
			s.SubsidyGrades = gs
		}
		return
	default:
		return
	}
	_ = json.Unmarshal([]byte(value), target)
}

// CountyOf returns the county org at or above orgID, visible in sc.
func (s *Store) CountyOf(ctx context.Context, sc org.Scope, orgID int64) (org.Org, error) {
	o, err := s.orgs().Get(ctx, sc, orgID)
	if err != nil {
		return org.Org{}, err
	}
	if o.Kind == org.County {
		return o, nil
	}
	for _, id := range reversed(pathIDs(o.Path)) {
		a, err := s.orgs().GetUnscoped(ctx, s.DB.Read(), id)
		if err != nil {
			return org.Org{}, err
		}
		if a.Kind == org.County {
			return a, nil
		}
	}
	return org.Org{}, fe("county_org_id", "该机构不属于任何县(区)司法局")
}

// Settings returns the effective settings of county countyID (defaults
// overlaid with the county's stored values). The county must be in sc or
// be the county above an org in sc (an office reads its county's rules).
func (s *Store) Settings(ctx context.Context, sc org.Scope, countyID int64) (Settings, error) {
	if _, err := s.countyFor(ctx, sc, countyID, false); err != nil {
		return Settings{}, err
	}
	return s.loadSettings(ctx, s.DB.Read(), countyID)
}

// SettingsForOrg returns the settings that apply to orgID (its county's).
func (s *Store) SettingsForOrg(ctx context.Context, sc org.Scope, orgID int64) (Settings, error) {
	c, err := s.CountyOf(ctx, sc, orgID)
	if err != nil {
		return Settings{}, err
	}
	return s.loadSettings(ctx, s.DB.Read(), c.ID)
}

func (s *Store) loadSettings(ctx context.Context, q store.Querier, countyID int64) (Settings, error) {
	st := DefaultSettings()
	rows, err := q.Query(ctx, `SELECT key, value FROM med_settings WHERE county_org_id = ?`, countyID)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return st, err
		}
		st.apply(k, v)
	}
	return st, rows.Err()
}

// countyFor checks countyID is a county; writable requires it inside sc,
// reading also allows the county above the caller's own subtree.
func (s *Store) countyFor(ctx context.Context, sc org.Scope, countyID int64, writable bool) (org.Org, error) {
	o, err := s.orgs().GetUnscoped(ctx, s.DB.Read(), countyID)
	if err != nil {
		return org.Org{}, store.ErrNotFound
	}
	if o.Kind != org.County {
		return org.Org{}, fe("county_org_id", "只能为县(区)司法局设置调解规则")
	}
	if sc.Contains(o.Path) {
		return o, nil
	}
	if !writable {
		for _, p := range sc.Paths() {
			if strings.HasPrefix(p, o.Path) {
				return o, nil
			}
		}
	}
	return org.Org{}, store.ErrNotFound
}

// SaveSettings validates st and stores it for the county, in one
// transaction with its audit record (the changed keys, not the values).
func (s *Store) SaveSettings(ctx context.Context, sc org.Scope, countyID, userID int64, st Settings) error {
	if err := st.Validate(); err != nil {
		return err
	}
	if _, err := s.countyFor(ctx, sc, countyID, true); err != nil {
		return err
	}
	vals, err := st.values()
	if err != nil {
		return err
	}
	now := Clock()
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		old, err := s.loadSettings(ctx, tx, countyID)
		if err != nil {
			return err
		}
		oldVals, err := old.values()
		if err != nil {
			return err
		}
		var changed []string
		for k, v := range vals {
			if oldVals[k] == v {
				continue
			}
			changed = append(changed, k)
			if _, err := tx.Exec(ctx, `INSERT INTO med_settings(county_org_id, key, value, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (county_org_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
				countyID, k, v, now, nullID(userID)); err != nil {
				return err
			}
		}
		if len(changed) == 0 {
			return nil
		}
		sort.Strings(changed)
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.update", ObjectType: "med_settings",
			ObjectID: strconv.FormatInt(countyID, 10), OrgID: countyID, Detail: "keys: " + strings.Join(changed, ",")})
	})
}

// errNotFound answers a county outside the caller's reach.
var errNotFound = store.ErrNotFound
