// Package forecast predicts future usage from a plain series of past usage.
//
// It is pure: every function takes a []float64 of equally spaced observations
// (oldest first) and a horizon, and returns point forecasts with 80 % and 95 %
// prediction intervals. There is no I/O, no clock and no package state, so every
// value here is safe for concurrent use.
//
// The models are the classical ones, each a small struct whose zero value is
// usable:
//
//   - [Naive], [SeasonalNaive], [Naive2]: benchmarks;
//   - [SeasonalMean]: mean of the last few seasons at the same position;
//   - [Linear]: least-squares trend line;
//   - [MovingAverage]: mean of the last Window points;
//   - [SES], [Holt], [HoltWinters]: exponential smoothing with parameters fitted
//     by minimising the squared one-step errors;
//   - [Theta]: the Theta method of Assimakopoulos and Nikolopoulos;
//   - [Auto]: the best of the above for each series (or the average of the
//     best few), chosen by rolling-origin validation on the series' own tail.
//
// Any model can be wrapped in [Adjusted] to forecast a seasonally adjusted series
// (classical multiplicative decomposition, applied only when [IsSeasonal] says so).
//
// [Project] turns a forecast of usage per step into answers about a quota: when
// 80, 90 and 100 % of the limit will be reached, the probability of exceeding it
// by the end of the period, and the expected overage.
package forecast
