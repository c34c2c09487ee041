package mediation

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fengqiao/internal/person/idno"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// makeID completes a 17-digit body with its GB 11643 check digit.
func makeID(body string) string { return body + string(idno.CheckDigit(body)) }

type step = chromedp.Action[chromedp.Void]

func into[T any](dst *T, a chromedp.Action[T]) step {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		*dst = v
		return chromedp.Void{}, err
	}
}

// shot saves a full-page screenshot when FENGQIAO_SHOTS names a directory.
func shot(name string) step {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		dir := os.Getenv("FENGQIAO_SHOTS")
		if dir == "" {
			return nil
		}
		buf, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	})
}

// The clerk's main flow in a real browser: sign in, open the roster,
// register a mediator (first with a mistake), see the masked numbers.
func TestBrowserMediatorFlow(t *testing.T) {
	path := ""
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skip("chromium not installed: browser test skipped")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Engine == store.Postgres {
			t.Skip("the browser flow runs once; the pages are engine-independent and covered by the HTTP tests")
		}
		s := newSite(t, db)
		if err := s.st.SaveCommittee(s.ctx, s.scA, s.committeeA.ID, CommitteeInput{Level: "township", Members: 7}); err != nil {
			t.Fatal(err)
		}
		for i, m := range []MediatorInput{
			{Name: "杨德明", OrgID: s.committeeA.ID, IDNumber: makeID("51190219650312001"), Phone: "13908271234", FullTime: true, Title: "调委会主任", Registered: true, RegistryNo: "BZ-2024-001", RegisteredOn: "2024-03-01"},
			{Name: "李秀英", OrgID: s.committeeA.ID, IDNumber: idB, Phone: phoneA, Title: "委员", Registered: true, RegistryNo: "BZ-2024-002", RegisteredOn: "2024-03-01"},
			{Name: "何建国", OrgID: s.committeeV.ID, Phone: phoneB, Title: "村调委会主任"},
		} {
			if _, err := s.st.CreateMediator(s.ctx, s.scA, m); err != nil {
				t.Fatalf("seed %d: %v", i, err)
			}
		}
		srv := httptest.NewServer(s.h)
		defer srv.Close()
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		defer cancelA()
		ctx, cancelC := chromedp.NewContext(actx)
		defer cancelC()
		if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
			t.Fatalf("start chromium: %v", err)
		}
		zhang := makeID("51190219880706002")
		wrong := zhang[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", zhang[17])+1)%11])
		var list, errText, detail string
		steps := []step{
			chromedp.Navigate(srv.URL + "/login"),
			chromedp.WaitVisible(`input[name=username]`),
			chromedp.SendKeys(`input[name=username]`, "sec"),
			chromedp.SendKeys(`input[name=password]`, pw),
			chromedp.Submit(`input[name=password]`),
			chromedp.WaitNotPresent(`input[name=password]`), // signed in (the test mux has no home page)
			chromedp.Navigate(srv.URL + "/mediation/mediators"),
			chromedp.WaitVisible(`table.mediators`),
			into(&list, chromedp.Text(`table.mediators`)),
			shot("mediation-mediators"),
			chromedp.Navigate(srv.URL + "/mediation/mediators/new?org=" + itoa(s.committeeA.ID)),
			chromedp.WaitVisible(`#f-name`),
			chromedp.SendKeys(`#f-name`, "张文华"),
			chromedp.SendKeys(`#f-id_number`, wrong), // wrong check digit
			chromedp.SendKeys(`#f-phone`, "13700001234"),
			chromedp.Click(`#f-full_time`),
			chromedp.Submit(`#f-name`),
			chromedp.WaitVisible(`.error-summary`),
			into(&errText, chromedp.Text(`.error-summary`)),
			shot("mediation-mediator-form-error"),
			chromedp.SetValue(`#f-id_number`, zhang),
			chromedp.Submit(`#f-name`),
			chromedp.WaitVisible(`#trainings`),
			into(&detail, chromedp.Text(`main`)),
			shot("mediation-mediator-detail"),
			chromedp.Navigate(srv.URL + "/mediation/mediators/new"),
			chromedp.WaitVisible(`#f-name`),
			shot("mediation-mediator-form"),
			chromedp.Navigate(srv.URL + "/mediation/committees"),
			chromedp.WaitVisible(`table.data`),
			shot("mediation-committees"),
			chromedp.Navigate(srv.URL + "/mediation/committees/" + itoa(s.committeeA.ID)),
			chromedp.WaitVisible(`table.mediators`),
			shot("mediation-committee"),
			chromedp.Navigate(srv.URL + "/mediation/screenings/new"),
			chromedp.WaitVisible(`#f-participants`),
			shot("mediation-screening-form"),
			chromedp.Navigate(srv.URL + "/mediation/settings"),
			chromedp.WaitVisible(`table.grades`),
			shot("mediation-settings"),
			chromedp.Navigate(srv.URL + "/mediation/documents"),
			chromedp.WaitVisible(`details.placeholders`),
			shot("mediation-documents"),
		}
		for i, st := range steps {
			sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			_, err := chromedp.Run(sctx, st)
			cancel()
			if err != nil {
				body, _ := chromedp.Run(ctx, chromedp.Text("body"))
				t.Fatalf("step %d: %v\n%s", i+1, err, body)
			}
		}
		if !strings.Contains(list, "杨德明") || !strings.Contains(list, "139****1234") || strings.Contains(list, "13908271234") {
			t.Fatalf("roster: %s", list)
		}
		if !strings.Contains(errText, "校验") && !strings.Contains(errText, "身份证") {
			t.Fatalf("error summary: %s", errText)
		}
		if !strings.Contains(detail, "张文华") || !strings.Contains(detail, idno.MaskID(zhang)) || strings.Contains(detail, "13700001234") {
			t.Fatalf("detail: %s", detail)
		}
	})
}
