package usage_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage"
	"github.com/usagekit/usage/webhook"
)

// receiver is a webhook endpoint that verifies every request and answers with the
// status answer gives for the request's number (from 1).
type receiver struct {
	mu       sync.Mutex
	ids      []string
	bodies   [][]byte
	verifier *webhook.Verifier
	answer   func(n int) int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if err := r.verifier.Verify(req.Header, body); err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	r.mu.Lock()
	r.ids = append(r.ids, req.Header.Get(webhook.HeaderID))
	r.bodies = append(r.bodies, body)
	n := len(r.ids)
	r.mu.Unlock()
	if status := r.answer(n); status != http.StatusOK {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(status)
	}
}

func (r *receiver) received() ([]string, [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids...), append([][]byte(nil), r.bodies...)
}

// webhookMeter starts a receiver answering by answer and a Meter on tm's store
// that delivers to it.
func webhookMeter(t *testing.T, tm *testMeter, answer func(n int) int) (*usage.Meter, *receiver) {
	t.Helper()
	secret, err := webhook.GenerateSecret()
	require.NoError(t, err)
	v, err := webhook.NewVerifier(secret.String())
	require.NoError(t, err)
	rec := &receiver{verifier: v, answer: answer}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	hook, err := usage.NewWebhookNotifier(srv.URL, nil, secret.String())
	require.NoError(t, err)
	return tm.instance(t, deliveringConfig(time.Now, map[string]usage.Notifier{"hook": hook})), rec
}

func TestAWebhookReceiverThatWasDownGetsTheAlertLaterWithTheSameID(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		m, rec := webhookMeter(t, tm, func(n int) int {
			if n <= 2 {
				return http.StatusServiceUnavailable
			}
			return http.StatusOK
		})
		credits(t, m, "acme", "a", 850)
		alerts := waitDelivered(t, m, "acme", 1)
		require.Equal(t, "delivered", alerts[0].Delivery.State)
		require.Equal(t, 3, alerts[0].Delivery.Attempts)
		ids, bodies := rec.received()
		require.Equal(t, []string{alerts[0].Delivery.ID, alerts[0].Delivery.ID, alerts[0].Delivery.ID}, ids,
			"every attempt carries the delivery's ID")
		var body struct {
			Type string `json:"type"`
			Data struct {
				ID        int64   `json:"id"`
				Subject   string  `json:"subject"`
				Metric    string  `json:"metric"`
				Threshold float64 `json:"threshold_percent"`
				Used      float64 `json:"used"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(bodies[2], &body))
		require.Equal(t, "quota.threshold_crossed", body.Type)
		require.Equal(t, alerts[0].ID, body.Data.ID)
		require.Equal(t, "acme", body.Data.Subject)
		require.Equal(t, "credits", body.Data.Metric)
		require.Equal(t, 80.0, body.Data.Threshold)
		require.Equal(t, 850.0, body.Data.Used)
	})
}

func TestAWebhookReceiverThatAnswersGoneIsNotCalledAgain(t *testing.T) {
	eachMeter(t, func(t *testing.T, tm *testMeter) {
		m, rec := webhookMeter(t, tm, func(int) int { return http.StatusGone })
		credits(t, m, "acme", "a", 850)
		alerts := waitDelivered(t, m, "acme", 1)
		require.Equal(t, "failed", alerts[0].Delivery.State)
		assert.Contains(t, alerts[0].Delivery.LastError, "410")
		credits(t, m, "acme", "b", 100)
		alerts = waitDelivered(t, m, "acme", 2)
		require.Equal(t, "failed", alerts[0].Delivery.State, "the next alert fails without a request")
		ids, _ := rec.received()
		require.Len(t, ids, 1, "one request in all")
	})
}
