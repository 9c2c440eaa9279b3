package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/mamori-dev/mamori/console"
	"github.com/mamori-dev/mamori/sqlite"
)

// validUserName is what an analyst's name may be.
var validUserName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// userCommand manages analysts of the console: "user add NAME" creates
// one with the password read from stdin and prints the TOTP key once.
func userCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(stderr, "usage: mamori user add NAME [--data ./mamori-data] [--password-stdin]")
		return exitCode(2)
	}
	fs := newFlags("user add", stderr)
	data := fs.String("data", envOr("MAMORI_DATA", "./mamori-data"), "data directory (MAMORI_DATA)")
	fs.Bool("password-stdin", false, "read the password from stdin (the default; no prompt)")
	rest := args[1:]
	var name string
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		name, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return exitCode(2)
	}
	if name == "" && fs.NArg() > 0 {
		name = fs.Arg(0)
	}
	if !validUserName.MatchString(name) {
		fmt.Fprintln(stderr, "mamori: user add: give a NAME of letters, digits and . _ @ - (up to 64)")
		return exitCode(2)
	}
	if f, ok := stdin.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(stderr, "password (it will be shown as you type; prefer piping it): ")
		}
	}
	password, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	password = strings.TrimRight(password, "\r\n")
	if len(password) < 12 || len(password) > 1024 {
		fmt.Fprintln(stderr, "mamori: user add: the password must be 12 to 1024 characters")
		return exitCode(2)
	}
	hash, err := console.HashPassword(password)
	if err != nil {
		return err
	}
	url, secret, err := console.NewTOTP(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*data, 0o700); err != nil {
		return fmt.Errorf("create data directory %s: %w", *data, err)
	}
	store, err := sqlite.Open(ctx, *data, sqlite.Options{})
	if err != nil {
		return err
	}
	defer store.Close()
	err = store.Users().AddUser(ctx, console.User{Name: name, PasswordHash: hash, TOTPSecret: secret, Created: time.Now().UTC()})
	if errors.Is(err, console.ErrUserExists) {
		fmt.Fprintf(stderr, "mamori: user add: %s already exists\n", name)
		return exitCode(1)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "analyst %s added. Add this key to an authenticator app now; it is not shown again.\n", name)
	fmt.Fprintf(stdout, "otpauth URL: %s\n", url)
	fmt.Fprintf(stdout, "secret:      %s\n", secret)
	return nil
}
