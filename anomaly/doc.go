// Package anomaly scores usage series for anomalies and fraud suspicion.
//
// It is pure: plain values and explicit times in, scores out; no I/O, no clocks, no
// package state. Every detector is causal: the score of a point depends only on that
// point and the points before it, so a detector gives the same answer streaming (one
// [Detector.Update] per point) as in batch ([Detect]) and scores for a prefix never
// change when later points arrive.
//
// Detectors:
//
//   - [ZScore]: z-score against a rolling mean and standard deviation (|z| > 3).
//   - [MAD]: robust z-score against a rolling median and median absolute deviation.
//   - [Seasonal]: robust z-score against the same hour of the week (or of the
//     workday or weekend, or of the day) in the subject's time zone.
//   - [LevelShift]: the median of the last few points against the median of the
//     window before them.
//   - [Velocity]: growth of the total over the last hour against the hour before,
//     guarded against tiny bases (> 500 %).
//   - [OffHours]: heavy usage at hours the subject is normally quiet, in its time
//     zone.
//   - [Regularity]: per-interval counts too regular to be human (bot-like).
//   - [KNN]: contexts (the last few points) unlike their nearest neighbours in
//     the recent past, in the manner of KNN-CAD.
//   - [Surprise]: calibrates another detector: the tail probability of the mean of
//     its recent errors under their long-run distribution (an "anomaly
//     likelihood").
//   - [Ensemble]: the statistical detectors calibrated and combined, plus the
//     behavioural ones, giving each point a score in [0, 1], a risk score, a
//     fraud-suspect flag and the reasons; one alarm per incident.
//
// For raw events rather than series, [CheckEvents] flags, per subject, bot-like
// regular arrivals (see [ArrivalCV]) and bursts (see [Bursts]).
//
// Detectors are not safe for concurrent use; use one per series (subject and metric)
// and serialise calls to it.
package anomaly
