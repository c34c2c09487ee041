package mediation

import (
	"net/http"
	"net/url"
	"strconv"

	"fengqiao/internal/org"
	"fengqiao/internal/web"
)

type committeesData struct {
	Committees []Committee
	Pager      web.Pager
	Levels     []web.Option
	Unders     []web.Option
	CanEdit    bool
}

func (h *Handler) committees(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	q := r.URL.Query()
	form := web.NewForm(q)
	f := CommitteeFilter{Under: queryID(r, "org"), Level: q.Get("level"), Query: q.Get("q")}
	if f.Level != "" && !validChoice(CommitteeLevels, f.Level) {
		form.Fail("level", "调委会类别无效")
		f.Level = ""
	}
	list, pg, err := pagedList(r, form, f, h.Store.Committees)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	unders, err := h.orgOptions(r, sc, org.County, org.Office, org.Village)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "committees.html", &web.Page{Title: "调解组织", Form: form,
		Data: committeesData{Committees: list, Pager: pg, Levels: choices(CommitteeLevels), Unders: unders, CanEdit: me(r).Can(permEdit)}})
}

type committeeData struct {
	C         Committee
	Rooms     []Room
	Mediators []Mediator
	CanEdit   bool
}

func (h *Handler) committee(w http.ResponseWriter, r *http.Request) {
	c, id, ok := byPathID(h, w, r, h.Store.Committee)
	if !ok {
		return
	}
	sc := scope(r)
	rooms, err := h.Store.Rooms(r.Context(), sc, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ms, _, err := h.Store.Mediators(r.Context(), sc, MediatorFilter{Under: id, Limit: 500})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "committee.html", &web.Page{Title: c.Name,
		Data:        committeeData{C: c, Rooms: rooms, Mediators: ms, CanEdit: me(r).Can(permEdit)},
		Breadcrumbs: []web.Crumb{{Label: "调解组织", Path: "/mediation/committees"}, {Label: c.Name}}})
}

type committeeFormData struct {
	C          Committee
	Levels     []web.Option
	TradeKinds []web.Option
}

func (h *Handler) renderCommitteeForm(w http.ResponseWriter, r *http.Request, status int, c Committee, form *web.Form) {
	h.render(w, r, status, "committee_form.html", &web.Page{Title: "调委会基本情况", Form: form,
		Data: committeeFormData{C: c, Levels: choices(CommitteeLevels), TradeKinds: choices(TradeKinds)},
		Breadcrumbs: []web.Crumb{{Label: "调解组织", Path: "/mediation/committees"},
			{Label: c.Name, Path: "/mediation/committees/" + itoa(c.OrgID)}, {Label: "基本情况"}}})
}

func (h *Handler) committeeForm(w http.ResponseWriter, r *http.Request) {
	c, _, ok := byPathID(h, w, r, h.Store.Committee)
	if !ok {
		return
	}
	form := web.NewForm(url.Values{"level": {c.Level}, "trade_kind": {c.TradeKind}, "established_on": {c.EstablishedOn},
		"members": {strconv.Itoa(c.Members)}})
	h.renderCommitteeForm(w, r, http.StatusOK, c, form)
}

func (h *Handler) committeeSave(w http.ResponseWriter, r *http.Request) {
	c, id, ok := byPathID(h, w, r, h.Store.Committee)
	if !ok {
		return
	}
	sc := scope(r)
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	in := CommitteeInput{Level: form.Get("level"), TradeKind: form.Get("trade_kind"), EstablishedOn: form.Get("established_on"),
		Members: formInt(form, "members", "委员人数应为整数")}
	if form.OK() {
		err := h.Store.SaveCommittee(r.Context(), sc, id, in)
		if h.saved(w, r, form, err, "已保存", "/mediation/committees/"+itoa(id)) {
			return
		}
	}
	h.renderCommitteeForm(w, r, http.StatusUnprocessableEntity, c, form)
}

type roomFormData struct {
	C      Committee
	Room   Room
	Edit   bool
	Action string
}

func (h *Handler) renderRoomForm(w http.ResponseWriter, r *http.Request, status int, d roomFormData, form *web.Form) {
	title := "新增调解室"
	if d.Edit {
		title = "修改调解室"
	}
	h.render(w, r, status, "room_form.html", &web.Page{Title: title, Form: form, Data: d,
		Breadcrumbs: []web.Crumb{{Label: "调解组织", Path: "/mediation/committees"},
			{Label: d.C.Name, Path: "/mediation/committees/" + itoa(d.C.OrgID)}, {Label: title}}})
}

func roomInput(form *web.Form) RoomInput {
	return RoomInput{Name: form.Get("name"), BrandName: form.Get("brand_name"), Address: form.Get("address"), Phone: form.Get("phone"),
		Active: form.Get("active") != ""}
}

func (h *Handler) roomNew(w http.ResponseWriter, r *http.Request) {
	c, id, ok := byPathID(h, w, r, h.Store.Committee)
	if !ok {
		return
	}
	h.renderRoomForm(w, r, http.StatusOK, roomFormData{C: c, Action: "/mediation/committees/" + itoa(id) + "/rooms/new"},
		web.NewForm(url.Values{"address": {c.Address}}))
}

func (h *Handler) roomCreate(w http.ResponseWriter, r *http.Request) {
	c, id, ok := byPathID(h, w, r, h.Store.Committee)
	if !ok {
		return
	}
	sc := scope(r)
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	_, err := h.Store.CreateRoom(r.Context(), sc, id, roomInput(form))
	if h.saved(w, r, form, err, "已新增调解室", "/mediation/committees/"+itoa(id)) {
		return
	}
	h.renderRoomForm(w, r, http.StatusUnprocessableEntity, roomFormData{C: c, Action: "/mediation/committees/" + itoa(id) + "/rooms/new"}, form)
}

func (h *Handler) roomEdit(w http.ResponseWriter, r *http.Request) {
	room, id, ok := byPathID(h, w, r, h.Store.Room)
	if !ok {
		return
	}
	sc := scope(r)
	c, err := h.Store.Committee(r.Context(), sc, room.CommitteeID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	vals := url.Values{"name": {room.Name}, "brand_name": {room.BrandName}, "address": {room.Address}, "phone": {room.Phone}}
	if room.Active {
		vals.Set("active", "1")
	}
	h.renderRoomForm(w, r, http.StatusOK, roomFormData{C: c, Room: room, Edit: true, Action: "/mediation/rooms/" + itoa(id) + "/edit"}, web.NewForm(vals))
}

func (h *Handler) roomUpdate(w http.ResponseWriter, r *http.Request) {
	room, id, ok := byPathID(h, w, r, h.Store.Room)
	if !ok {
		return
	}
	sc := scope(r)
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	_, err := h.Store.UpdateRoom(r.Context(), sc, id, roomInput(form))
	if h.saved(w, r, form, err, "已保存", "/mediation/committees/"+itoa(room.CommitteeID)) {
		return
	}
	c, cerr := h.Store.Committee(r.Context(), sc, room.CommitteeID)
	if cerr != nil {
		h.fail(w, r, cerr)
		return
	}
	h.renderRoomForm(w, r, http.StatusUnprocessableEntity, roomFormData{C: c, Room: room, Edit: true, Action: "/mediation/rooms/" + itoa(id) + "/edit"}, form)
}
