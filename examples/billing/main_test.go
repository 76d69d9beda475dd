package main

import "context"

// Example_run is the billing example with its output checked: the invoice the
// library computes from the month's tracked events.
func Example_run() {
	if err := run(context.Background(), ""); err != nil {
		panic(err)
	}
	// Output:
	// Invoice acme/2026-03-01T00:00:00Z
	// subject acme, plan professional, 2026-03-01 00:00 WET to 2026-04-01 00:00 WEST (Europe/Lisbon)
	//
	// metric       included      used   over  price               amount
	// api_calls       10000     10250    250  €0.008 per 10        €0.20
	// documents         500       520     20  €0.40 per unit       €8.00
	// storage_gb         50      52.5    2.5  €1.50 per unit       €3.75
	// users              10        12      2  €5.00 per unit      €10.00
	// total                                                       €21.95
	//
	// closed 1 invoice(s); closing again delivered 0 more
}
