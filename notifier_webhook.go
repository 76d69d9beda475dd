package usage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/usagekit/usage/webhook"
)

// DefaultWebhookTimeout bounds one webhook request, response included.
const DefaultWebhookTimeout = 15 * time.Second

// WebhookNotifier posts alerts to an HTTP endpoint as Standard Webhooks: a JSON
// body {"type", "timestamp", "data"} (data is the Alert), signed in the
// webhook-id, webhook-timestamp and webhook-signature headers (see package
// webhook, whose Verifier checks them on the receiving side). webhook-id is the
// delivery's ID, the same in every attempt. A 2xx response delivers; 410 Gone
// disables the endpoint for the life of the notifier (no further requests, and its
// deliveries fail); any other answer, or none, is tried again later, no sooner than
// a Retry-After header asks.
type WebhookNotifier struct {
	url     string
	secrets []webhook.Secret
	client  *http.Client
	now     func() time.Time
	gone    atomic.Bool
}

// NewWebhookNotifier returns a WebhookNotifier that posts to endpoint, an http or
// https URL, signed with each of secrets ("whsec_…", see webhook.ParseSecret):
// during a rotation give the new secret and the old one. client may be nil for one
// with DefaultWebhookTimeout.
func NewWebhookNotifier(endpoint string, client *http.Client, secrets ...string) (*WebhookNotifier, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("usage: webhook endpoint %q: want an absolute http or https URL", endpoint)
	}
	if len(secrets) == 0 {
		return nil, errors.New("usage: webhook: no secret: give at least one (webhook.GenerateSecret makes one)")
	}
	w := &WebhookNotifier{url: endpoint, client: client, now: time.Now}
	for i, s := range secrets {
		sec, err := webhook.ParseSecret(s)
		if err != nil {
			return nil, fmt.Errorf("usage: webhook secret %d: %w", i, err)
		}
		w.secrets = append(w.secrets, sec)
	}
	if w.client == nil {
		w.client = &http.Client{Timeout: DefaultWebhookTimeout}
	}
	return w, nil
}

// webhookBody is the JSON body of a webhook.
type webhookBody struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Alert     `json:"data"`
}

// errGone is the error of every notification after the endpoint answered 410.
var errGone = errors.New("webhook endpoint answered 410 Gone: disabled")

// Notify posts one notification.
func (w *WebhookNotifier) Notify(ctx context.Context, n Notification) error {
	if w.gone.Load() {
		return Permanent(errGone)
	}
	now := w.now()
	body, err := json.Marshal(webhookBody{Type: n.Type, Timestamp: now.UTC(), Data: n.Alert})
	if err != nil {
		return Permanent(fmt.Errorf("webhook body: %w", err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range webhook.Headers(n.ID, now, body, w.secrets...) {
		req.Header.Set(k, v)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	// Drained (a little) so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusGone:
		w.gone.Store(true)
		return Permanent(errGone)
	}
	err = fmt.Errorf("webhook endpoint answered %s", resp.Status)
	if wait, ok := retryAfter(resp.Header.Get("Retry-After"), now); ok {
		return RetryAfter(err, wait)
	}
	return err
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
