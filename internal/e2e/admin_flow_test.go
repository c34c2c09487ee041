package e2e

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fengqiao/internal/browsertest"

	"fengqiao/internal/demo"
	"fengqiao/internal/store"
)

// Issue 2's browser flow: a county system administrator signs in, browses
// the org tree (lazy-loading an office's villages), creates a user for an
// office, signs out; the new user signs in, changes the initial password
// and sees their office.
func TestAdminCreatesUserWhoSignsIn(t *testing.T) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			ctx := browser(t)
			s := startServer(t, e)
			if _, err := s.App.LoadDemoIfEmpty(context.Background(), io.Discard); err != nil {
				t.Fatal(err)
			}
			var jiangbei int64
			if err := s.App.DB.Read().QueryRow(context.Background(), `SELECT id FROM orgs WHERE name = '江北街道司法所'`).Scan(&jiangbei); err != nil {
				t.Fatal(err)
			}
			node := `#node-` + strconv.FormatInt(jiangbei, 10)
			var tree, detail, home string
			browsertest.Run(t, ctx,
				chromedp.Navigate(s.URL+"/login"),
				chromedp.WaitVisible(`input[name=username]`),
				chromedp.SendKeys(`input[name=username]`, "bazhou.sysadmin"),
				chromedp.SendKeys(`input[name=password]`, demo.DemoPassword),
				chromedp.Submit(`input[name=password]`),
				chromedp.WaitVisible(`.figures`),
				chromedp.Navigate(s.URL+"/admin/orgs"),
				chromedp.WaitVisible(`.tree`),
				browsertest.Settled(),
				chromedp.Click(node+` > details > summary`),
				chromedp.WaitVisible(node+` .tree-children a.tree-name`),
				browsertest.Into(&tree, chromedp.Text(`.tree`)),
				browsertest.Shot("10-org-tree"),
				chromedp.Navigate(s.URL+"/admin/users/new"),
				chromedp.WaitVisible(`input[name=username]`),
				browsertest.Settled(),
				chromedp.SendKeys(`input[name=username]`, "wangxm"),
				chromedp.SendKeys(`input[name=display_name]`, "王晓明"),
				chromedp.SetValue(`select[name=org_id]`, strconv.FormatInt(jiangbei, 10)),
				chromedp.Click(`input[name=roles][value=office_staff]`),
				chromedp.SendKeys(`input[name=password]`, "Wang-Init-2026"),
				chromedp.SendKeys(`input[name=password2]`, "Wang-Init-2026"),
				browsertest.Shot("11-user-form"),
				chromedp.Submit(`input[name=password2]`),
				chromedp.WaitVisible(`.flash`),
				browsertest.Into(&detail, chromedp.Text(`main`)),
				browsertest.Shot("12-user-created"),
				chromedp.Click(`form[action="/logout"] button`),
				chromedp.WaitVisible(`input[name=username]`),
				browsertest.Settled(),
				chromedp.SendKeys(`input[name=username]`, "wangxm"),
				chromedp.SendKeys(`input[name=password]`, "Wang-Init-2026"),
				chromedp.Submit(`input[name=password]`),
				chromedp.WaitVisible(`input[name=password2]`),
				browsertest.Settled(),
				chromedp.SendKeys(`input[name=current]`, "Wang-Init-2026"),
				chromedp.SendKeys(`input[name=password]`, "Wang-Own-2026!"),
				chromedp.SendKeys(`input[name=password2]`, "Wang-Own-2026!"),
				chromedp.Submit(`input[name=password2]`),
				chromedp.WaitVisible(`.page-head`),
				browsertest.Into(&home, chromedp.Text(`main`)),
				browsertest.Shot("13-new-user-home"),
			)
			if !strings.Contains(tree, "双河社区") {
				t.Errorf("the office's villages did not load into the tree: %q", tree)
			}
			if !strings.Contains(detail, "王晓明") || !strings.Contains(detail, "江北街道司法所") {
				t.Errorf("user detail after create: %q", detail)
			}
			if !strings.Contains(home, "您好，王晓明") || !strings.Contains(home, "江北街道司法所") {
				t.Errorf("new user's start page: %q", home)
			}
		})
	}
}
