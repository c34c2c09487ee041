package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"fengqiao/internal/audit"
	"fengqiao/internal/ops"
	"fengqiao/internal/org"
)

// cmdInit bootstraps an empty database: the top org and the three
// separated administrators with random passwords shown once.
func cmdInit(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("init")
	kind := fs.String("kind", "province", "kind of the top organization: province, city or county")
	name := fs.String("name", "", "name of the top organization, e.g. 四川省司法厅")
	division := fs.String("division", "", "its GB/T 2260 division code, e.g. 510000")
	cfg, err := LoadConfig(fs, args)
	if err != nil {
		return err
	}
	a, err := Open(ctx, cfg, NewLogger("warn"))
	if err != nil {
		return err
	}
	defer a.Close()
	ctx = audit.WithActor(ctx, audit.Actor{Username: "cli", IP: "local"})
	res, err := ops.Bootstrap(ctx, a.DB, a.Orgs, a.Auth, ops.BootstrapInput{Kind: org.Kind(*kind), Name: *name, DivisionCode: *division})
	if err != nil {
		var fe *org.FieldError
		if errors.As(err, &fe) {
			return fmt.Errorf("--%s: %s", fe.Field, fe.Message)
		}
		return err
	}
	fmt.Fprintf(out, "已创建顶层机构 (top organization created): %s %s (id %d)\n\n", res.Org.Name, res.Org.DivisionCode, res.Org.ID)
	fmt.Fprintln(out, "管理员账号 — 密码只显示这一次，请立即妥善交给三位管理员；首次登录必须修改密码。")
	fmt.Fprintln(out, "Administrator accounts — the passwords are shown only now; each must be changed at first login.")
	for _, c := range res.Accounts {
		fmt.Fprintf(out, "  %-11s %s\n", c.Username, c.Password)
	}
	return nil
}
