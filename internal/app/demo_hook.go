package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"fengqiao/internal/demo"
)

// cmdDemo loads the demo data set, or with --scale N generates a
// province-size org tree for benchmarks, into an empty database.
func cmdDemo(ctx context.Context, args []string, out io.Writer) error {
	fs := newFlags("demo")
	scale := fs.Int("scale", 0, fmt.Sprintf("generate N counties × %d offices × %d villages instead of the demo set (%d ≈ 2,000 offices)",
		demo.DefaultOfficesPerCount, demo.DefaultVillagesPerOff, demo.DefaultScaleCounties))
	cfg, err := LoadConfig(fs, args)
	if err != nil {
		return err
	}
	a, err := Open(ctx, cfg, NewLogger("warn"))
	if err != nil {
		return err
	}
	defer a.Close()
	if *scale > 0 {
		sum, err := demo.Scale(ctx, a.DB, a.Auth, demo.ScaleOptions{Counties: *scale, OfficesPerCounty: demo.DefaultOfficesPerCount,
			VillagesPerOffice: demo.DefaultVillagesPerOff})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "基准测试数据已生成 (benchmark data): %s\n账号 sc.sysadmin、sc.leader，密码 %s\n", sum, demo.DemoPassword)
		return nil
	}
	sum, err := demo.Load(ctx, a.DB, a.Orgs, a.Auth)
	if err != nil {
		return err
	}
	printDemo(out, sum)
	return nil
}

func printDemo(out io.Writer, sum demo.Summary) {
	fmt.Fprintf(out, "演示数据已加载 (demo data loaded): %s\n", sum)
	fmt.Fprintf(out, "演示账号见 docs/demo-accounts.md，例如 sc.sysadmin、bazhou.leader、jiangbei.staff；密码均为 %s\n", demo.DemoPassword)
}

// LoadDemoIfEmpty loads the demo data when no org exists; it reports
// false when the database already has organizations.
func (a *App) LoadDemoIfEmpty(ctx context.Context, out io.Writer) (bool, error) {
	sum, err := demo.Load(ctx, a.DB, a.Orgs, a.Auth)
	if errors.Is(err, demo.ErrNotEmpty) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	printDemo(out, sum)
	return true, nil
}
