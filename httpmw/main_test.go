package httpmw_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when goroutines outlive its tests: every Middleware's
// workers must stop at Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
