package sqlstore

import "testing"

// Series keys are stored with every event, so a change to seriesOf would hide the
// stored events from every read by key. The expected keys were computed apart from
// this code, with FNV-1a 64 written out by hand.
func TestSeriesKeysNeverChange(t *testing.T) {
	for _, c := range []struct {
		subject, metric string
		want            int64
	}{
		{"acme", "api_calls", -2901347612729813370},
		{"", "", -5808567868270191730},
		{`O'Brien \ Söhne`, "documents", -8136683607338744805},
	} {
		if got := seriesOf(c.subject, c.metric); got != c.want {
			t.Errorf("seriesOf(%q, %q) = %d, want %d", c.subject, c.metric, got, c.want)
		}
	}
}
