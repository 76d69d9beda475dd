package usage

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func qty(t *testing.T, v float64) Quantity {
	t.Helper()
	q, why := boundedQuantity(v, microScale, maxLimit) // overages reach past one event
	if why != "" {
		t.Fatalf("quantity %v: %s", v, why)
	}
	return q
}

func TestMoneyIsExact(t *testing.T) {
	t.Parallel()
	tenCents := PerUnit(dec("0.10"))
	got, err := tenCents.Charge(qty(t, 3))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Amount.Equal(dec("0.30")) || got.Currency != "EUR" {
		t.Errorf("3 × €0.10 = %s, want exactly €0.30", got)
	}
	sum := decimal.Zero
	for range 3 {
		sum = sum.Add(dec("0.10"))
	}
	if !sum.Equal(dec("0.3")) {
		t.Errorf("€0.10 + €0.10 + €0.10 = %s", sum)
	}
	// Ten million events of 0.1 priced at €0.001: exactly €1,000.
	got, _ = PerUnit(dec("0.001")).Charge(QuantityFromMicros(10_000_000 * 100_000))
	if !got.Amount.Equal(dec("1000")) {
		t.Errorf("1,000,000 units at €0.001 = %s", got)
	}
}

func TestPriceCharge(t *testing.T) {
	t.Parallel()
	tiers := []Tier{
		{UpTo: dec("100"), Amount: dec("0.50")},
		{UpTo: dec("1000"), Amount: dec("0.40"), Flat: dec("5")},
		{Amount: dec("0.30")},
	}
	tests := []struct {
		name  string
		price Price
		over  float64
		want  string // exact, unrounded
	}{
		{"per unit zero", PerUnit(dec("0.40")), 0, "0"},
		{"per unit negative overage costs nothing", PerUnit(dec("0.40")), -5, "0"},
		{"per unit fraction pro rata", PerUnit(dec("1.50")), 2.5, "3.75"},
		{"per unit micro", PerUnit(dec("2")), 0.000001, "0.000002"},
		{"package none", PerPackage(dec("0.01"), 10), 0, "0"},
		{"package one unit starts a package", PerPackage(dec("0.01"), 10), 1, "0.01"},
		{"package one below", PerPackage(dec("0.01"), 10), 9, "0.01"},
		{"package exactly at", PerPackage(dec("0.01"), 10), 10, "0.01"},
		{"package one above", PerPackage(dec("0.01"), 10), 11, "0.02"},
		{"package a millionth above", PerPackage(dec("0.01"), 10), 10.000001, "0.02"},
		{"package 250 calls", PerPackage(dec("0.008"), 10), 250, "0.2"},
		{"package 251 calls", PerPackage(dec("0.008"), 10), 251, "0.208"},
		{"package huge size", PerPackage(dec("1"), 1_000_000_000_000), 1_000_000_000_000, "1"},
		{"graduated zero", Graduated(tiers...), 0, "0"},
		{"graduated one below first bound", Graduated(tiers...), 99, "49.5"},
		{"graduated exactly at first bound", Graduated(tiers...), 100, "50"},
		{"graduated one above first bound", Graduated(tiers...), 101, "55.4"},
		{"graduated exactly at second bound", Graduated(tiers...), 1000, "415"},
		{"graduated one above second bound", Graduated(tiers...), 1001, "415.3"},
		{"graduated fraction", Graduated(tiers...), 100.5, "55.2"},
		{"volume one below first bound", Volume(tiers...), 99, "49.5"},
		{"volume exactly at first bound", Volume(tiers...), 100, "50"},
		{"volume one above first bound", Volume(tiers...), 101, "45.4"},
		{"volume exactly at second bound", Volume(tiers...), 1000, "405"},
		{"volume one above second bound", Volume(tiers...), 1001, "300.3"},
		{"volume zero", Volume(tiers...), 0, "0"},
		{"no price", Price{}, 10, "0"},
	}
	for _, tc := range tests {
		got, err := tc.price.Charge(qty(t, tc.over))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !got.Amount.Equal(dec(tc.want)) {
			t.Errorf("%s: Charge(%v) = %s, want %s", tc.name, tc.over, got.Amount, tc.want)
		}
		if got.Amount.Sign() < 0 {
			t.Errorf("%s: negative charge %s", tc.name, got)
		}
	}
}

func TestRoundCentsHalfUp(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"0.125": "0.13", "0.135": "0.14", "0.124999": "0.12", "0.005": "0.01", "0.004999": "0",
		"-0.125": "-0.13", "21.95": "21.95", "0.208": "0.21", "14.0053333": "14.01",
	} {
		if got := RoundCents(dec(in)); !got.Equal(dec(want)) {
			t.Errorf("RoundCents(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestMoneyString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		m    Money
		want string
	}{
		{Money{dec("21.95"), "EUR"}, "€21.95"},
		{Money{dec("8"), "EUR"}, "€8.00"},
		{Money{dec("0.008"), "EUR"}, "€0.008"},
		{Money{dec("-1.5"), "EUR"}, "-€1.50"},
		{Money{decimal.Zero, "EUR"}, "€0.00"},
		{Money{dec("3.1"), "USD"}, "3.10 USD"},
	} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("%v: String() = %q, want %q", tc.m.Amount, got, tc.want)
		}
	}
}

func TestPriceValidate(t *testing.T) {
	t.Parallel()
	bad := []struct {
		name  string
		price Price
		want  string
	}{
		{"negative unit amount", PerUnit(dec("-0.01")), "zero or more"},
		{"zero package", PerPackage(dec("0.01"), 0), "positive"},
		{"no tiers", Graduated(), "at least one"},
		{"bounded last tier", Volume(Tier{UpTo: dec("10"), Amount: dec("1")}), "last tier"},
		{"tiers going down", Graduated(Tier{UpTo: dec("10")}, Tier{UpTo: dec("5")}, Tier{}), "want more than 10"},
		{"unbounded middle tier", Graduated(Tier{UpTo: dec("10")}, Tier{}, Tier{}), "want more than 10"},
		{"negative flat", Graduated(Tier{Flat: dec("-1")}), "zero or more"},
		{"bad currency", Price{Model: PricePerUnit, Currency: "euro"}, "ISO 4217"},
		{"unknown model", Price{Model: "fancy"}, "unknown price model"},
	}
	for _, tc := range bad {
		err := tc.price.validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: validate() = %v, want an error with %q", tc.name, err, tc.want)
		}
		if _, err := tc.price.Charge(qty(t, 1)); err == nil {
			t.Errorf("%s: Charge accepted an invalid price", tc.name)
		}
	}
}

func TestPlanPriceValidation(t *testing.T) {
	t.Parallel()
	metrics := map[string]Metric{"a": {Key: "a"}, "b": {Key: "b"}}
	for _, tc := range []struct {
		name string
		plan Plan
		want string
	}{
		{"price without overage", Plan{Key: "p", Limits: map[string]Limit{"a": {Included: 1, Price: PerUnit(dec("1"))}}}, "only charged for overage"},
		{"price on unlimited", Plan{Key: "p", Limits: map[string]Limit{"a": {Unlimited: true, Overage: true, Price: PerUnit(dec("1"))}}}, "only charged for overage"},
		{"two currencies", Plan{Key: "p", Limits: map[string]Limit{
			"a": {Included: 1, Overage: true, Price: PerUnit(dec("1"))},
			"b": {Included: 1, Overage: true, Price: Price{Model: PricePerUnit, Currency: "USD", Amount: dec("1")}},
		}}, "one currency"},
		{"invalid price", Plan{Key: "p", Limits: map[string]Limit{"a": {Included: 1, Overage: true, Price: PerPackage(dec("1"), -10)}}}, "package size"},
	} {
		err := tc.plan.validate(metrics)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: validate() = %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

func TestExampleCatalogPrices(t *testing.T) {
	t.Parallel()
	want := map[string]map[string]string{
		"basic":        {MetricDocuments: "€0.50 per unit", MetricAPICalls: "€0.01 per 10", MetricStorageGB: "€2.00 per unit", MetricUsers: "free"},
		"professional": {MetricDocuments: "€0.40 per unit", MetricAPICalls: "€0.008 per 10", MetricStorageGB: "€1.50 per unit", MetricUsers: "€5.00 per unit"},
		"enterprise":   {MetricDocuments: "€0.30 per unit", MetricAPICalls: "€0.005 per 10", MetricStorageGB: "€1.00 per unit", MetricUsers: "€4.00 per unit"},
	}
	for _, p := range ExamplePlans() {
		for metric, price := range want[p.Key] {
			if got := p.Limits[metric].Price.String(); got != price {
				t.Errorf("%s %s: %s, want %s", p.Key, metric, got, price)
			}
		}
	}
	if ExamplePlans()[0].Limits[MetricUsers].Overage {
		t.Error("Basic allows no users beyond its 3")
	}
}

func TestPriceString(t *testing.T) {
	t.Parallel()
	p := Graduated(Tier{UpTo: dec("100"), Amount: dec("0.5")}, Tier{Amount: dec("0.4"), Flat: dec("2")})
	if got, want := p.String(), "graduated: €0.50 up to 100, €0.40 + €2.00 flat above"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
