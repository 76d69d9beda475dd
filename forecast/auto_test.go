package forecast

import (
	"encoding/binary"
	"math"
	"runtime"
	"sync"
	"testing"
)

// FuzzAuto feeds arbitrary series to Auto: it must not panic, and whatever it
// returns must be finite.
func FuzzAuto(f *testing.F) {
	f.Add([]byte{}, uint8(1), uint8(7))
	f.Add(binary.LittleEndian.AppendUint64(nil, math.Float64bits(1e308)), uint8(3), uint8(7))
	seed := make([]byte, 0, 8*60)
	for _, v := range seasonalSeries(60, 7, 10, 0.1, 3, 1, 1) {
		seed = binary.LittleEndian.AppendUint64(seed, math.Float64bits(v))
	}
	f.Add(seed, uint8(14), uint8(7))
	f.Fuzz(func(t *testing.T, raw []byte, h, season uint8) {
		var y []float64
		for len(raw) >= 8 && len(y) < 400 {
			y = append(y, math.Float64frombits(binary.LittleEndian.Uint64(raw)))
			raw = raw[8:]
		}
		fc, err := Auto{Seasons: []int{int(season % 30)}}.Forecast(y, int(h%50))
		if err != nil {
			return
		}
		for _, s := range [][]float64{fc.Point, fc.Lower80, fc.Upper80, fc.Lower95, fc.Upper95} {
			for _, v := range s {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("non-finite forecast %v from %v (%s)", v, y, fc.Model)
				}
			}
		}
	})
}

// benchSeries is a set of 90-point daily usage series with weekly rhythm,
// trend and noise.
func benchSeries(count int) [][]float64 {
	out := make([][]float64, count)
	for i := range out {
		out[i] = seasonalSeries(90, 7, 100+float64(i%50), 0.2, 20, 5, uint64(i))
	}
	return out
}

// BenchmarkAuto forecasts 14 days from 90 days of daily data, one series per
// iteration; series/s is the throughput of one goroutine.
func BenchmarkAuto(b *testing.B) {
	data := benchSeries(64)
	model := Auto{Seasons: []int{7}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := model.Forecast(data[i%len(data)], 14); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "series/s")
}

// BenchmarkAuto10000 forecasts 10,000 daily series of 90 points, 14 days
// ahead, on GOMAXPROCS goroutines per iteration, as a caller forecasting every
// customer would; s/10k is the wall time of one pass.
func BenchmarkAuto10000(b *testing.B) {
	data := benchSeries(10000)
	model := Auto{Seasons: []int{7}}
	for b.Loop() {
		next := make(chan []float64)
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for y := range next {
					if _, err := model.Forecast(y, 14); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for _, y := range data {
			next <- y
		}
		close(next)
		wg.Wait()
	}
	perPass := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(perPass, "s/10k")
	b.ReportMetric(10000/perPass, "series/s")
}
