package report

import (
	"strconv"

	"github.com/shopspring/decimal"
)

// appendDecimal appends d as a plain decimal. With places 0 it has no trailing
// zeros, like d.String(): 2.50 is "2.5". Otherwise it has every digit d holds and
// at least places, like d.StringFixed(max(places, -exponent)): "2.50", "0.008". Coefficients that fit in int64 are formatted without
// big.Int, which decimal's own String spends most of a CSV row's time in.
func appendDecimal(b []byte, d decimal.Decimal, places int) []byte {
	if d.NumDigits() > 18 {
		if places > 0 {
			return append(b, d.StringFixed(int32(max(places, -int(d.Exponent()))))...)
		}
		return append(b, d.String()...)
	}
	c, exp := d.CoefficientInt64(), int(d.Exponent())
	if c < 0 {
		b = append(b, '-')
		c = -c
	}
	if exp >= 0 {
		b = strconv.AppendInt(b, c, 10)
		for range exp {
			b = append(b, '0')
		}
		if places > 0 {
			b = append(b, '.')
			for range places {
				b = append(b, '0')
			}
		}
		return b
	}
	var digits [24]byte
	ds := strconv.AppendInt(digits[:0], c, 10)
	frac := -exp
	for len(ds) <= frac {
		ds = append([]byte{'0'}, ds...)
	}
	whole, fraction := ds[:len(ds)-frac], ds[len(ds)-frac:]
	for places == 0 && len(fraction) > 0 && fraction[len(fraction)-1] == '0' {
		fraction = fraction[:len(fraction)-1]
	}
	b = append(b, whole...)
	if len(fraction) > 0 || places > 0 {
		b = append(b, '.')
		b = append(b, fraction...)
		for i := len(fraction); i < places; i++ {
			b = append(b, '0')
		}
	}
	return b
}
