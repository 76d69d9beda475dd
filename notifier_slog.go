package usage

import (
	"context"
	"log/slog"
)

// LogNotifier returns a Notifier that writes each alert to logger, at level Warn
// for critical and high alerts and Info for the others. It never fails.
func LogNotifier(logger *slog.Logger) Notifier {
	return NotifierFunc(func(ctx context.Context, n Notification) error {
		level := slog.LevelInfo
		if n.Alert.Severity == SeverityCritical || n.Alert.Severity == SeverityHigh {
			level = slog.LevelWarn
		}
		logger.Log(ctx, level, n.Alert.Message,
			"type", n.Type, "delivery", n.ID, "alert", n.Alert.ID, "severity", string(n.Alert.Severity),
			"subject", n.Alert.Subject, "metric", n.Alert.Metric)
		return nil
	})
}
