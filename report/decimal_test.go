package report

import (
	"testing"

	"github.com/shopspring/decimal"
)

func TestAppendDecimalWritesWhatDecimalsOwnFormattingWrites(t *testing.T) {
	for _, s := range []string{"0", "1", "-3", "2.5", "2.50", "0.000001", "-0.05", "12500", "1e3",
		"123456789012.345678", "-999999999999999999.5", "99999999999999999999999", "0.1000"} {
		d := decimal.RequireFromString(s)
		if got, want := string(appendDecimal(nil, d, 0)), d.String(); got != want {
			t.Errorf("%s: plain %q, want %q", s, got, want)
		}
		if got, want := string(appendDecimal(nil, d, 2)), d.StringFixed(max(2, -d.Exponent())); got != want {
			t.Errorf("%s: money %q, want %q", s, got, want)
		}
	}
}
