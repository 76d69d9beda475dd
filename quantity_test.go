package usage

import (
	"encoding/json"
	"math"
	"strconv"
	"testing"
)

func TestQuantityOf(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		in     string // parsed with strconv.ParseFloat, as a JSON decoder would
		micros int64
	}{
		{"zero", "0", 0},
		{"negative zero", "-0", 0},
		{"one tenth", "0.1", 100_000},
		{"three tenths", "0.3", 300_000},
		{"half", "52.5", 52_500_000},
		{"one millionth", "0.000001", 1},
		{"minus one millionth", "-0.000001", -1},
		{"integer", "1000", 1_000_000_000},
		{"max value", "1e11", 100_000_000_000_000_000},
		{"minus max value", "-1e11", -100_000_000_000_000_000},
		// Above 2^53 micro-units v*1e6 is inexact; the digits must still be read
		// exactly.
		{"large with half", "99999999999.5", 99_999_999_999_500_000},
		{"large with eighth", "12345678901.125", 12_345_678_901_125_000},
		{"large with six places", "4400104206.436134", 4_400_104_206_436_134},
		{"large negative with quarter", "-99999999999.25", -99_999_999_999_250_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v, err := strconv.ParseFloat(tt.in, 64)
			if err != nil {
				t.Fatal(err)
			}
			q, why := quantityOf(v, microScale)
			if why != "" {
				t.Fatalf("quantityOf(%s, microScale) refused: %s", tt.in, why)
			}
			if q.Micros() != tt.micros {
				t.Fatalf("quantityOf(%s, microScale) = %d micros, want %d", tt.in, q.Micros(), tt.micros)
			}
			if got := q.Float64(); got != v && !(v == 0 && got == 0) {
				t.Fatalf("quantityOf(%s, microScale).Float64() = %v, want %v", tt.in, got, v)
			}
		})
	}
}

func TestQuantityOfRefuses(t *testing.T) {
	t.Parallel()

	inf, err := strconv.ParseFloat("1e309", 64)
	if !math.IsInf(inf, 1) {
		t.Fatalf("ParseFloat(1e309) = %v, %v: want +Inf", inf, err)
	}
	tests := []struct {
		name string
		in   float64
		why  string
	}{
		{"NaN", math.NaN(), "NaN is not a number"},
		{"NaN with other bits", math.Float64frombits(0x7ff8_0000_dead_beef), "NaN is not a number"},
		{"+Inf", math.Inf(1), "infinity is not a quantity"},
		{"-Inf", math.Inf(-1), "infinity is not a quantity"},
		{"1e309 parsed", inf, "infinity is not a quantity"},
		{"2^63", math.Ldexp(1, 63), "magnitude above the maximum of 100000000000"},
		{"-2^63", -math.Ldexp(1, 63), "magnitude above the maximum of 100000000000"},
		{"1e12", 1e12, "magnitude above the maximum of 100000000000"},
		{"just above max", math.Nextafter(MaxValue, math.Inf(1)), "magnitude above the maximum of 100000000000"},
		{"seven places", 0.0000001, "more than six decimal places"},
		{"seven places negative", -1.0000001, "more than six decimal places"},
		{"float sum", math.Nextafter(0.3, 1), "more than six decimal places"}, // 0.1+0.2 at run time
		{"pi", math.Pi, "more than six decimal places"},
		{"smallest subnormal", math.SmallestNonzeroFloat64, "more than six decimal places"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, why := quantityOf(tt.in, microScale)
			if why != tt.why {
				t.Fatalf("quantityOf(%v, microScale) = %v, %q; want refusal %q", tt.in, q, why, tt.why)
			}
			if !q.IsZero() {
				t.Fatalf("quantityOf(%v, microScale) refused but returned %v", tt.in, q)
			}
		})
	}
}

// TestQuantityTenMillionTenths is the exactness the package documents: ten million
// events of 0.1 add up to exactly 1,000,000.
func TestQuantityTenMillionTenths(t *testing.T) {
	t.Parallel()

	q, why := quantityOf(0.1, microScale)
	if why != "" {
		t.Fatal(why)
	}
	var sum int64
	for range 10_000_000 {
		sum += q.Micros()
	}
	total := QuantityFromMicros(sum)
	if total.String() != "1000000" || total.Micros() != 1_000_000_000_000 {
		t.Fatalf("ten million × 0.1 = %s (%d micros), want exactly 1000000", total, total.Micros())
	}
	if total.Float64() != 1_000_000 {
		t.Fatalf("Float64() = %v, want 1000000", total.Float64())
	}
}

// TestQuantityOfRoundTrip checks, for six-decimal values of every magnitude up to
// MaxValue, that the quantity converts back to the same float64 and that values
// small enough for float64 to tell apart keep their exact digits.
func TestQuantityOfRoundTrip(t *testing.T) {
	t.Parallel()

	var micros []int64
	for m := int64(1); m <= 1_000_000_000_000_000_000; m *= 10 {
		micros = append(micros, m, m+1, m-1, m/3, m/7*3, m+m/2, 2*m-1)
	}
	for _, m := range micros {
		for _, k := range []int64{m, -m} {
			s := QuantityFromMicros(k).String()
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(v) > MaxValue {
				continue
			}
			q, why := quantityOf(v, microScale)
			if why != "" {
				t.Fatalf("quantityOf(%s, microScale) refused: %s", s, why)
			}
			if q.Float64() != v {
				t.Fatalf("quantityOf(%s, microScale).Float64() = %v, want %v", s, q.Float64(), v)
			}
			// Below 2^53 micro-units every six-decimal value is its own float64.
			if math.Abs(float64(k)) < 1<<53 && q.Micros() != k {
				t.Fatalf("quantityOf(%s, microScale) = %d micros, want %d", s, q.Micros(), k)
			}
		}
	}
}

func TestQuantityString(t *testing.T) {
	t.Parallel()

	tests := []struct {
		micros int64
		want   string
	}{
		{0, "0"},
		{1_000_000_000, "1000"},
		{100_000, "0.1"},
		{-52_500_000, "-52.5"},
		{1, "0.000001"},
		{-1, "-0.000001"},
		{1_000_001, "1.000001"},
		{10_000_000, "10"},
		{123_456_789, "123.456789"},
		{math.MaxInt64, "9223372036854.775807"},
		{math.MinInt64, "-9223372036854.775808"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			q := QuantityFromMicros(tt.micros)
			if got := q.String(); got != tt.want {
				t.Fatalf("QuantityFromMicros(%d).String() = %q, want %q", tt.micros, got, tt.want)
			}
			b, err := json.Marshal(q)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Fatalf("json.Marshal(%d micros) = %s, want %s", tt.micros, b, tt.want)
			}
			if !json.Valid(b) {
				t.Fatalf("json.Marshal(%d micros) = %s: not valid JSON", tt.micros, b)
			}
		})
	}
}

func TestQuantityMarshalJSONInStruct(t *testing.T) {
	t.Parallel()

	v := struct {
		Used  Quantity  `json:"used"`
		Limit *Quantity `json:"limit"`
	}{Used: QuantityFromMicros(100_000)}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"used":0.1,"limit":null}`; got != want {
		t.Fatalf("json.Marshal = %s, want %s", got, want)
	}
	// The number decodes to exactly what a caller would write.
	var back struct{ Used json.Number }
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Used != "0.1" {
		t.Fatalf("decoded %q from %s", back.Used, b)
	}
}

func TestQuantityIsZero(t *testing.T) {
	t.Parallel()

	if !(Quantity{}).IsZero() || QuantityFromMicros(1).IsZero() || QuantityFromMicros(-1).IsZero() {
		t.Fatal("IsZero wrong")
	}
}

func TestQuantityJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range []float64{0, 52.5, -0.000001, 123456.789012} {
		q := qty(t, v)
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		var back Quantity
		if err := json.Unmarshal(b, &back); err != nil || back != q {
			t.Errorf("%s: round trip gave %s, %v", q, back, err)
		}
	}
	var q Quantity
	for _, bad := range []string{`0.0000001`, `"x"`, `1e30`} {
		if err := json.Unmarshal([]byte(bad), &q); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
}

func TestQuantityOfWholeUnits(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   float64
		want string
		why  string
	}{
		{0, "0", ""},
		{math.Copysign(0, -1), "0", ""},
		{2e15, "2000000000000000", ""},
		{MaxWholeValue, "9007199254740992", ""},
		{-MaxWholeValue, "-9007199254740992", ""},
		{math.Nextafter(MaxWholeValue, math.Inf(1)), "", "magnitude above the maximum of 9007199254740992"},
		{0.5, "", "a fraction: the metric counts whole units"},
		{5e-324, "", "a fraction: the metric counts whole units"},
		{math.NaN(), "", "NaN is not a number"},
		{math.Inf(-1), "", "infinity is not a quantity"},
	} {
		q, why := quantityOf(tt.in, wholeScale)
		if why != tt.why || (why == "" && q.String() != tt.want) {
			t.Errorf("quantityOf(%v, wholeScale) = %s, %q; want %s, %q", tt.in, q, why, tt.want, tt.why)
		}
	}
}

// TestQuantityBeyondMicros checks the amounts only a whole-unit metric's totals
// reach: past the int64 range of millionths they stay exact, compare with ==, and
// survive JSON.
func TestQuantityBeyondMicros(t *testing.T) {
	t.Parallel()
	big := QuantityFromUnits(9_000_000_000_000_000_000)
	if got := big.String(); got != "9000000000000000000" {
		t.Fatalf("String() = %s", got)
	}
	if got := big.Decimal().String(); got != "9000000000000000000" {
		t.Fatalf("Decimal() = %s", got)
	}
	if big.Micros() != math.MaxInt64 || QuantityFromUnits(-9e18).Micros() != math.MinInt64 {
		t.Fatalf("Micros() does not saturate: %d", big.Micros())
	}
	if QuantityFromUnits(5) != QuantityFromMicros(5_000_000) {
		t.Fatal("5 units and 5,000,000 millionths are not ==")
	}
	if n, ok := big.at(microScale); ok {
		t.Fatalf("at(microScale) = %d, true: want false", n)
	}
	if n, ok := QuantityFromMicros(1_500_000).at(wholeScale); ok {
		t.Fatalf("1.5 at(wholeScale) = %d, true: want false", n)
	}
	b, err := json.Marshal(big)
	if err != nil {
		t.Fatal(err)
	}
	var back Quantity
	if err := json.Unmarshal(b, &back); err != nil || back != big {
		t.Fatalf("JSON round trip of %s gave %s, %v", big, back, err)
	}
}
