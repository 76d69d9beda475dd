// Command usageeval measures the accuracy of the forecast and anomaly packages on
// real data: M4 (or any folder of series) for forecasting, NAB (or any folder in NAB
// layout) for anomaly detection. It prints a table for people and one
// "RESULT key=value …" line per result for scripts.
//
//	usageeval forecast -m4 DIR -freq hourly
//	usageeval forecast -csv DIR -h 48 -m 24
//	usageeval nab -data DIR [-labels FILE] [-loco]
//	usageeval gen -out DIR [-tenants 24 -days 30 -step 5m -seed 19]
//	usageeval detect -data DIR
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "usageeval:", err)
		os.Exit(2)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: usageeval forecast|nab|gen|detect [flags]")
	}
	switch args[0] {
	case "forecast":
		return runForecast(args[1:], out)
	case "nab":
		return runNAB(args[1:], out)
	case "gen":
		return runGen(args[1:], out)
	case "detect":
		return runDetect(args[1:], out)
	default:
		return fmt.Errorf("unknown subcommand %q: want forecast, nab, gen or detect", args[0])
	}
}
