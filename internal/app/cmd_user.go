package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
)

const userUsage = `usage:
  fengqiao user create --username NAME --name 姓名 --org ORG_ID --roles r1,r2 [--password-stdin]
  fengqiao user reset-password --username NAME [--password-stdin]
  fengqiao user disable|enable|unlock --username NAME
Passwords are read from standard input (one line), never from flags.`

func cmdUser(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New(userUsage)
	}
	sub := args[0]
	fs := newFlags("user " + sub)
	username := fs.String("username", "", "account name")
	name := fs.String("name", "", "display name (create)")
	orgID := fs.Int64("org", 0, "org id (create)")
	roles := fs.String("roles", "", "comma-separated role codes (create), e.g. sysadmin")
	cfg, err := LoadConfig(fs, args[1:])
	if err != nil {
		return err
	}
	if *username == "" {
		return errors.New("--username is required\n" + userUsage)
	}
	a, err := Open(ctx, cfg, NewLogger("warn"))
	if err != nil {
		return err
	}
	defer a.Close()
	ctx = audit.WithActor(ctx, audit.Actor{Username: "cli", IP: "local"})
	readPW := func() (string, error) {
		fmt.Fprint(os.Stderr, "password (one line): ")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return "", errors.New("no password on standard input")
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	switch sub {
	case "create":
		pw, err := readPW()
		if err != nil {
			return err
		}
		u, err := a.Auth.CreateUser(ctx, nil, auth.UserInput{Username: *username, DisplayName: *name, OrgID: *orgID,
			Roles: splitList(*roles), Password: pw})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "created user %s (id %d); the password must be changed at first login\n", u.Username, u.ID)
		return nil
	}
	id, err := a.Auth.FindUserID(ctx, *username)
	if err != nil {
		return fmt.Errorf("user %q: %w", *username, err)
	}
	switch sub {
	case "reset-password":
		pw, err := readPW()
		if err != nil {
			return err
		}
		err = a.Auth.ResetPassword(ctx, nil, id, pw)
		if err == nil {
			fmt.Fprintln(out, "password reset; it must be changed at next login")
		}
		return err
	case "disable", "enable":
		err := a.Auth.SetDisabled(ctx, nil, id, sub == "disable")
		if err == nil {
			fmt.Fprintf(out, "user %s %sd\n", *username, sub)
		}
		return err
	case "unlock":
		err := a.Auth.Unlock(ctx, nil, id)
		if err == nil {
			fmt.Fprintf(out, "user %s unlocked\n", *username)
		}
		return err
	}
	return errors.New(userUsage)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
