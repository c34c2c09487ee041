// Command fengqiao runs the grassroots judicial office platform.
package main

import (
	"os"

	"fengqiao/internal/app"
)

func main() { os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr)) }
