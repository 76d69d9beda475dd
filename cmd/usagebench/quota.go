package main

import (
	"fmt"
	"io"
)

func runQuota(args []string, out io.Writer) error {
	return fmt.Errorf("quota: not yet")
}
