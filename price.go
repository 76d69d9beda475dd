package usage

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/shopspring/decimal"
)

// DefaultCurrency is the currency of a Price that names none: euros.
const DefaultCurrency = "EUR"

// CentPlaces is the number of decimal places line-item amounts are rounded to, in
// every currency.
const CentPlaces = 2

// Money is an exact amount of a currency. Amounts are decimals, never floats: three
// times €0.10 is exactly €0.30. The zero value is zero of no currency.
type Money struct {
	// Amount is the exact amount. Line items and totals hold it rounded to cents;
	// prices may hold more places (€0.008).
	Amount decimal.Decimal
	// Currency is the ISO 4217 code, such as "EUR".
	Currency string
}

// String formats the money with at least two decimal places and as many more as it
// holds: "€21.95", "€0.008", "-€1.50"; currencies other than EUR as "21.95 USD".
func (m Money) String() string {
	places := max(CentPlaces, -m.Amount.Exponent())
	abs := m.Amount.Abs().StringFixed(places)
	sign := ""
	if m.Amount.Sign() < 0 {
		sign = "-"
	}
	if m.Currency == "EUR" {
		return sign + "€" + abs
	}
	return sign + abs + " " + m.Currency
}

// RoundCents rounds an amount to cents, half up: halves go away from zero, so
// €0.125 becomes €0.13 and -€0.125 becomes -€0.13. It is the one rounding step of a
// bill, applied to each line item's exact amount; totals are sums of rounded lines.
func RoundCents(d decimal.Decimal) decimal.Decimal { return d.Round(CentPlaces) }

// PriceModel is how a Price turns overage units into money.
type PriceModel string

// The price models.
const (
	// PricePerUnit charges Amount for each unit; fractions of a unit are charged
	// pro rata (2.5 GB at €1.50 is €3.75).
	PricePerUnit PriceModel = "per_unit"
	// PricePackage charges Amount for each started package of PackageSize units: a
	// started package is charged whole (251 calls at €0.01 per 10 are 26 packages,
	// €0.26).
	PricePackage PriceModel = "package"
	// PriceGraduated charges each unit at the rate of the tier it falls in, plus the
	// Flat amount of every tier reached (like income tax brackets).
	PriceGraduated PriceModel = "graduated"
	// PriceVolume charges every unit at the rate of the one tier the whole quantity
	// falls in, plus that tier's Flat amount.
	PriceVolume PriceModel = "volume"
)

// Price is what a plan charges for usage beyond its included amount: it applies to
// the overage quantity (used minus included), never to the included units. The zero
// Price charges nothing.
type Price struct {
	// Model is the price model; empty means no charge.
	Model PriceModel
	// Currency is the ISO 4217 code of every amount of the price. Defaults to
	// DefaultCurrency.
	Currency string
	// Amount is the price of one unit (PricePerUnit) or of one package
	// (PricePackage). Not negative.
	Amount decimal.Decimal
	// PackageSize is the number of units in one package (PricePackage); positive.
	PackageSize decimal.Decimal
	// Tiers are the tiers of PriceGraduated and PriceVolume, in increasing order of
	// UpTo; the last has no UpTo.
	Tiers []Tier
}

// Tier is one tier of a graduated or volume price.
type Tier struct {
	// UpTo is the tier's upper bound in overage units, inclusive: with tiers up to
	// 100 and above, the 100th unit is in the first tier and the 101st in the second.
	// Zero on the last tier, which has no bound.
	UpTo decimal.Decimal
	// Amount is the price of each unit in the tier. Not negative.
	Amount decimal.Decimal
	// Flat is charged once when the quantity reaches the tier. Not negative.
	Flat decimal.Decimal
}

// PerUnit returns a price of amount euros per unit.
func PerUnit(amount decimal.Decimal) Price {
	return Price{Model: PricePerUnit, Amount: amount}
}

// PerPackage returns a price of amount euros per started package of size units.
func PerPackage(amount decimal.Decimal, size int64) Price {
	return Price{Model: PricePackage, Amount: amount, PackageSize: decimal.NewFromInt(size)}
}

// Graduated returns a graduated price in euros over the given tiers.
func Graduated(tiers ...Tier) Price { return Price{Model: PriceGraduated, Tiers: tiers} }

// Volume returns a volume price in euros over the given tiers.
func Volume(tiers ...Tier) Price { return Price{Model: PriceVolume, Tiers: tiers} }

// IsZero reports whether the price charges nothing because it has no model.
func (p Price) IsZero() bool { return p.Model == "" }

func (p Price) currency() string {
	if p.Currency == "" {
		return DefaultCurrency
	}
	return p.Currency
}

var currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)

// validate says what is wrong with a price.
func (p Price) validate() error {
	if p.IsZero() {
		return nil
	}
	if !currencyPattern.MatchString(p.currency()) {
		return fmt.Errorf("currency %q: want an ISO 4217 code such as %q", p.Currency, DefaultCurrency)
	}
	switch p.Model {
	case PricePerUnit:
		return notNegative("amount", p.Amount)
	case PricePackage:
		if p.PackageSize.Sign() <= 0 {
			return fmt.Errorf("package size %s: want a positive number of units", p.PackageSize)
		}
		return notNegative("amount", p.Amount)
	case PriceGraduated, PriceVolume:
		return validateTiers(p.Tiers)
	}
	return fmt.Errorf("unknown price model %q: want %q, %q, %q or %q", p.Model,
		PricePerUnit, PricePackage, PriceGraduated, PriceVolume)
}

func validateTiers(tiers []Tier) error {
	if len(tiers) == 0 {
		return fmt.Errorf("no tiers: give at least one, the last without UpTo")
	}
	prev := decimal.Zero
	for i, t := range tiers {
		last := i == len(tiers)-1
		switch {
		case last && !t.UpTo.IsZero():
			return fmt.Errorf("tier %d: the last tier must have no UpTo (it takes every unit above the one before)", i)
		case !last && t.UpTo.Cmp(prev) <= 0:
			return fmt.Errorf("tier %d: UpTo %s: want more than %s (tiers go up, and only the last is unbounded)", i, t.UpTo, prev)
		}
		if err := notNegative(fmt.Sprintf("tier %d amount", i), t.Amount); err != nil {
			return err
		}
		if err := notNegative(fmt.Sprintf("tier %d flat", i), t.Flat); err != nil {
			return err
		}
		prev = t.UpTo
	}
	return nil
}

func notNegative(what string, d decimal.Decimal) error {
	if d.Sign() < 0 {
		return fmt.Errorf("%s %s: want an amount of zero or more", what, d)
	}
	return nil
}

// Charge returns the exact, unrounded price of an overage quantity. An overage of
// zero or less costs nothing (there is no negative overage); an invalid price
// returns an error.
func (p Price) Charge(over Quantity) (Money, error) {
	zero := Money{Amount: decimal.Zero, Currency: p.currency()}
	if err := p.validate(); err != nil {
		return zero, err
	}
	if p.IsZero() || over.Sign() <= 0 {
		return zero, nil
	}
	q := over.Decimal()
	var amount decimal.Decimal
	switch p.Model {
	case PricePerUnit:
		amount = q.Mul(p.Amount)
	case PricePackage:
		// QuoRem is exact, where a division to some precision could hide a remainder
		// of a millionth of a unit.
		packages, rest := q.QuoRem(p.PackageSize, 0)
		if rest.Sign() > 0 {
			packages = packages.Add(decimal.NewFromInt(1))
		}
		amount = packages.Mul(p.Amount)
	case PriceGraduated:
		amount = decimal.Zero
		lower := decimal.Zero
		for _, t := range p.Tiers {
			upper := t.UpTo
			if upper.IsZero() || q.Cmp(upper) < 0 {
				upper = q
			}
			amount = amount.Add(upper.Sub(lower).Mul(t.Amount)).Add(t.Flat)
			if upper.Equal(q) {
				break
			}
			lower = upper
		}
	case PriceVolume:
		for _, t := range p.Tiers {
			if t.UpTo.IsZero() || q.Cmp(t.UpTo) <= 0 {
				amount = q.Mul(t.Amount).Add(t.Flat)
				break
			}
		}
	}
	return Money{Amount: amount, Currency: p.currency()}, nil
}

// String describes the price for people: "€0.40 per unit", "€0.008 per 10",
// "graduated: €0.50 up to 100, €0.40 above".
func (p Price) String() string {
	money := func(d decimal.Decimal) string { return Money{Amount: d, Currency: p.currency()}.String() }
	switch p.Model {
	case "":
		return "free"
	case PricePerUnit:
		return money(p.Amount) + " per unit"
	case PricePackage:
		return money(p.Amount) + " per " + p.PackageSize.String()
	}
	parts := make([]string, len(p.Tiers))
	for i, t := range p.Tiers {
		s := money(t.Amount)
		if !t.Flat.IsZero() {
			s += " + " + money(t.Flat) + " flat"
		}
		if t.UpTo.IsZero() {
			s += " above"
		} else {
			s += " up to " + t.UpTo.String()
		}
		parts[i] = s
	}
	return string(p.Model) + ": " + strings.Join(parts, ", ")
}
