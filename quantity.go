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

// MaxValue is the largest magnitude of one event's value (and of a correction's,
// a grant's or a CheckQuota amount) for a metric with fractional units, the default.
// Such a metric is kept in millionths of a unit in an int64, so a period's total for
// one subject and metric is exact up to about 9.2 × 10^12 units: ten events of
// MaxValue always fit. An event that would take a total past that range is refused
// with ErrOverflow. For larger totals, count the metric in whole units
// (Metric.WholeUnits), whose events may reach MaxWholeValue.
const MaxValue = 1e11

// MaxWholeValue is the largest magnitude of one event's value for a metric counted in
// whole units (Metric.WholeUnits): 2^53, up to which every integer is exact as a
// float64. Such a metric is kept in whole units in an int64, so a period's total is
// exact up to about 9.2 × 10^18 units (ErrOverflow beyond).
const MaxWholeValue = 1 << 53

// maxLimit is the largest magnitude of a plan's Included for a fractional metric:
// its millionths must fit an int64.
const maxLimit = 9e12

// Scales of the stored integers: a metric's quantities are stored as units × 10^scale.
const (
	microScale = 6
	wholeScale = 0
)

// Quantity is an exact amount of a metric's unit. It holds six decimal places (ten
// million events of 0.1 add up to exactly 1,000,000) up to about 9.2 × 10^12 units,
// and whole units beyond that, up to about 9.2 × 10^18 (the totals of a metric
// counted in whole units, such as bytes). Each amount has one representation, so ==
// compares quantities. The zero value is zero.
type Quantity struct {
	// n counts millionths of a unit, or whole units when whole is set, which it is
	// only for amounts whose millionths leave the int64 range.
	n     int64
	whole bool
}

// QuantityFromMicros returns the quantity of n millionths of a unit.
func QuantityFromMicros(n int64) Quantity { return Quantity{n: n} }

// QuantityFromUnits returns the quantity of n whole units.
func QuantityFromUnits(n int64) Quantity { return quantityAt(n, wholeScale) }

// quantityAt returns the quantity stored as n at scale (microScale or wholeScale).
func quantityAt(n int64, scale int) Quantity {
	if scale == microScale {
		return Quantity{n: n}
	}
	if -math.MaxInt64/store.MicrosPerUnit <= n && n <= math.MaxInt64/store.MicrosPerUnit {
		return Quantity{n: n * store.MicrosPerUnit}
	}
	return Quantity{n: n, whole: true}
}

// at returns the quantity as stored at scale, and false when it is not representable
// there: a fraction at wholeScale, or past the int64 range of millionths.
func (q Quantity) at(scale int) (int64, bool) {
	switch {
	case scale == microScale:
		return q.n, !q.whole
	case q.whole:
		return q.n, true
	default:
		return q.n / store.MicrosPerUnit, q.n%store.MicrosPerUnit == 0
	}
}

// quantityOf returns v as an exact quantity of a metric of scale, as an event's value:
// at most MaxValue in magnitude with at most six decimal places, or for wholeScale a
// whole number of at most MaxWholeValue. It fails for NaN and ±Inf.
func quantityOf(v float64, scale int) (Quantity, string) {
	if scale == wholeScale {
		return boundedQuantity(v, scale, MaxWholeValue)
	}
	return boundedQuantity(v, scale, MaxValue)
}

// boundedQuantity is quantityOf with the bound on the magnitude given.
//
// It reads the digits of the shortest decimal that converts to v rather than
// rounding v*1e6: above 2^53 micro-units (about 9e9) that product is inexact, and
// 99999999999.5 would not stay exact. There, several decimals of six places may
// convert to the same v; the shortest is taken.
func boundedQuantity(v float64, scale int, bound float64) (Quantity, string) {
	switch {
	case math.IsNaN(v):
		return Quantity{}, "NaN is not a number"
	case math.IsInf(v, 0):
		return Quantity{}, "infinity is not a quantity"
	case math.Abs(v) > bound:
		return Quantity{}, "magnitude above the maximum of " + strconv.FormatFloat(bound, 'f', -1, 64)
	}
	if v == math.Trunc(v) {
		return quantityAt(int64(v), wholeScale), ""
	}
	if scale == wholeScale {
		return Quantity{}, "a fraction: the metric counts whole units"
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
	return Quantity{n: m}, ""
}

// Micros returns the quantity in millionths of a unit. A quantity past about
// 9.2 × 10^12 units (only a whole-unit metric's) has no such int64: Micros then
// returns math.MaxInt64 or math.MinInt64. Use String or Decimal for every amount.
func (q Quantity) Micros() int64 {
	if !q.whole {
		return q.n
	}
	if q.n < 0 {
		return math.MinInt64
	}
	return math.MaxInt64
}

// Float64 returns the float64 nearest to the quantity, so a value that became a
// quantity converts back to itself.
func (q Quantity) Float64() float64 {
	const exact = 1 << 53 // integers up to here convert to float64 exactly
	if q.whole {
		return float64(q.n)
	}
	if -exact <= q.n && q.n <= exact {
		return float64(q.n) / store.MicrosPerUnit
	}
	// float64(n) would round once and the division again.
	f, _ := strconv.ParseFloat(q.String(), 64)
	return f
}

// IsZero reports whether the quantity is zero.
func (q Quantity) IsZero() bool { return q.n == 0 }

// Sign returns -1, 0 or +1 as the quantity is negative, zero or positive.
func (q Quantity) Sign() int {
	switch {
	case q.n < 0:
		return -1
	case q.n > 0:
		return 1
	}
	return 0
}

// String returns the exact decimal, without trailing zeros: "1000", "0.1", "-52.5".
func (q Quantity) String() string {
	if q.whole {
		return strconv.FormatInt(q.n, 10)
	}
	m := q.n
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
func (q Quantity) Decimal() decimal.Decimal {
	if q.whole {
		return decimal.New(q.n, 0)
	}
	return decimal.New(q.n, -microScale)
}

// UnmarshalJSON reads a JSON number as MarshalJSON writes it: at most six decimal
// places within the int64 range of millionths, or a whole number within the int64
// range.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	d, err := decimal.NewFromString(string(b))
	if err != nil {
		return fmt.Errorf("usage: quantity %s: %w", b, err)
	}
	limit := decimal.NewFromInt(math.MaxInt64)
	if micros := d.Shift(microScale); micros.IsInteger() && micros.Abs().Cmp(limit) <= 0 {
		*q = Quantity{n: micros.IntPart()}
		return nil
	}
	if d.IsInteger() && d.Abs().Cmp(limit) <= 0 {
		*q = quantityAt(d.IntPart(), wholeScale)
		return nil
	}
	return fmt.Errorf("usage: quantity %s: want at most six decimal places within ±9.2 × 10^12, or a whole number within the int64 range", b)
}
