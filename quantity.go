package usage

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/usagekit/usage/store"
)

// MaxValue is the largest magnitude of one event's value. With six decimal places it
// keeps every sum of a period far inside the exact int64 range.
const MaxValue = 1e12

// Quantity is an exact amount of a metric's unit with six decimal places (stored as
// an integer count of millionths). Ten million events of 0.1 add up to exactly
// 1,000,000. The zero value is zero.
type Quantity struct {
	micros int64
}

// QuantityFromMicros returns the quantity of n millionths of a unit.
func QuantityFromMicros(n int64) Quantity { return Quantity{micros: n} }

// quantityOf returns v as an exact quantity: the decimal with at most six fractional
// digits that converts to v, so 0.1 is exactly one tenth. It fails for NaN, ±Inf,
// magnitudes above MaxValue, and values needing more than six decimal places.
//
// It reads the digits of the shortest decimal that converts to v rather than
// rounding v*1e6: above 2^53 micro-units (about 9e9) that product is inexact, and
// 999999999999.5 would become 999999999999.500032. There, several decimals of six
// places may convert to the same v; the shortest is taken.
func quantityOf(v float64) (Quantity, string) {
	switch {
	case math.IsNaN(v):
		return Quantity{}, "NaN is not a number"
	case math.IsInf(v, 0):
		return Quantity{}, "infinity is not a quantity"
	case math.Abs(v) > MaxValue:
		return Quantity{}, "magnitude above the maximum of 1e12"
	}
	if v == math.Trunc(v) {
		return Quantity{micros: int64(v) * store.MicrosPerUnit}, ""
	}
	var buf [32]byte
	digits := strconv.AppendFloat(buf[:0], math.Abs(v), 'f', -1, 64)
	whole, frac, _ := bytes.Cut(digits, []byte("."))
	if len(frac) > 6 {
		return Quantity{}, "more than six decimal places"
	}
	var m int64
	for _, c := range whole {
		m = m*10 + int64(c-'0')
	}
	for i := range 6 {
		m *= 10
		if i < len(frac) {
			m += int64(frac[i] - '0')
		}
	}
	if v < 0 {
		m = -m
	}
	return Quantity{micros: m}, ""
}

// Micros returns the quantity in millionths of a unit.
func (q Quantity) Micros() int64 { return q.micros }

// Float64 returns the float64 nearest to the quantity, so a value that became a
// quantity converts back to itself.
func (q Quantity) Float64() float64 {
	const exact = 1 << 53 // micros up to here convert to float64 exactly
	if -exact <= q.micros && q.micros <= exact {
		return float64(q.micros) / store.MicrosPerUnit
	}
	// float64(micros) would round once and the division again.
	f, _ := strconv.ParseFloat(q.String(), 64)
	return f
}

// IsZero reports whether the quantity is zero.
func (q Quantity) IsZero() bool { return q.micros == 0 }

// String returns the exact decimal, without trailing zeros: "1000", "0.1", "-52.5".
func (q Quantity) String() string {
	m := q.micros
	neg := m < 0
	var u uint64
	if neg {
		u = uint64(-(m + 1)) + 1 // safe for math.MinInt64
	} else {
		u = uint64(m)
	}
	whole := strconv.FormatUint(u/store.MicrosPerUnit, 10)
	frac := u % store.MicrosPerUnit
	s := whole
	if frac != 0 {
		f := strconv.FormatUint(frac+store.MicrosPerUnit, 10)[1:] // zero-padded to 6
		s += "." + strings.TrimRight(f, "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}

// MarshalJSON writes the quantity as a JSON number with its exact decimal digits.
func (q Quantity) MarshalJSON() ([]byte, error) { return []byte(q.String()), nil }

// Decimal returns the quantity as an exact decimal.
func (q Quantity) Decimal() decimal.Decimal { return decimal.New(q.micros, -6) }

// UnmarshalJSON reads a JSON number of at most six decimal places, as MarshalJSON
// writes it.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	d, err := decimal.NewFromString(string(b))
	if err != nil {
		return fmt.Errorf("usage: quantity %s: %w", b, err)
	}
	micros := d.Shift(6)
	if !micros.IsInteger() || micros.Abs().Cmp(decimal.NewFromInt(math.MaxInt64)) > 0 {
		return fmt.Errorf("usage: quantity %s: want at most six decimal places, within the int64 range of micro-units", b)
	}
	q.micros = micros.IntPart()
	return nil
}
