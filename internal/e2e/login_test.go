package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fengqiao/internal/browsertest"

	"fengqiao/internal/store"
)

// A new administrator signs in, is made to change the initial password,
// and lands on a start page that shows the figures of their county only.
func TestFirstLoginChangesPassword(t *testing.T) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			ctx := browser(t)
			s := startServer(t, e)
			s.seed(t)
			var errText, heading, figures, body string
			browsertest.Run(t, ctx,
				chromedp.Navigate(s.URL+"/"),
				chromedp.WaitVisible(`input[name=username]`),
				browsertest.Shot("01-login"),
				chromedp.SendKeys(`input[name=username]`, "bzadmin"),
				chromedp.SendKeys(`input[name=password]`, "wrong-password"),
				chromedp.Submit(`input[name=password]`),
				chromedp.WaitVisible(`.error-summary`),
				browsertest.Settled(),
				browsertest.Into(&errText, chromedp.Text(`.error-summary`)),
				browsertest.Shot("02-login-error"),
				chromedp.SendKeys(`input[name=password]`, initialPW),
				chromedp.Submit(`input[name=password]`),
				chromedp.WaitVisible(`input[name=password2]`),
				browsertest.Settled(),
				browsertest.Shot("03-must-change"),
				chromedp.SendKeys(`input[name=current]`, initialPW),
				chromedp.SendKeys(`input[name=password]`, "Bazhou-New-2026"),
				chromedp.SendKeys(`input[name=password2]`, "Bazhou-New-2026"),
				chromedp.Submit(`input[name=password2]`),
				chromedp.WaitVisible(`.figures`),
				browsertest.Into(&heading, chromedp.Text(`h1`)),
				browsertest.Into(&figures, chromedp.Text(`.figures`)),
				browsertest.Into(&body, chromedp.Text(`body`)),
				browsertest.Shot("04-home"),
			)
			if !strings.Contains(errText, "用户名或密码错误") {
				t.Errorf("login error text: %q", errText)
			}
			if !strings.Contains(heading, "王管理") {
				t.Errorf("home heading: %q", heading)
			}
			// The county has 1 office; the neighbour's office must not be counted.
			if f := strings.Join(strings.Fields(figures), ""); !strings.Contains(f, "1司法所") || !strings.Contains(f, "1县(区)司法局") {
				t.Errorf("figures: %q", figures)
			}
			if strings.Contains(body, "恩阳") {
				t.Error("the neighbour county appears on the start page")
			}
		})
	}
}
