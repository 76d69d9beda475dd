package sqlstore

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/usagekit/usage/store"
)

// raiseFraudAlerts raises, in InsertAnomalies' transaction, one alert for each
// anomaly it stored that is flagged as a fraud suspect: the anomaly's ID is the
// alert's Ref, so an anomaly raises one alert, and one stored before is not
// stored again (ids holds only the new ones). The alert's period is the
// anomaly's time.
func raiseFraudAlerts(ctx context.Context, tx bun.Tx, rows []anomalyRow, ids map[anomalyKey]int64) error {
	for _, r := range rows {
		id, ok := ids[r.key()]
		if !ok || !r.FraudSuspect {
			continue
		}
		a := alertRow{Kind: store.AlertFraudSuspect, Severity: store.SeverityHigh, Subject: r.Subject,
			Metric: r.Metric, Ref: id, PeriodStart: r.At, PeriodEnd: r.At, CreatedAt: r.CreatedAt,
			Message: fmt.Sprintf("%s's %s looks like abuse: %.4g against %.4g expected, risk %d of 100 (anomaly %d)",
				r.Subject, r.Metric, r.Value, r.Expected, int(r.Risk), id)}
		for _, stmt := range raiseAlert(tx, &a) {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("raise fraud alert of anomaly %d: %w", id, err)
			}
		}
	}
	return nil
}
