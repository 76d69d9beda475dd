package webhook

import (
	"crypto/hmac"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a message's timestamp may lie from the receiver's
// clock, either way: the specification's five minutes, which bounds replays of a
// captured message and allows for clock skew.
const DefaultTolerance = 5 * time.Minute

// Verifier checks signed webhooks on the receiving side. It is safe for concurrent
// use once built.
type Verifier struct {
	secrets []Secret
	// Tolerance is how far the timestamp may lie from Now, either way. Defaults to
	// DefaultTolerance.
	Tolerance time.Duration
	// Now returns the receiver's time. Defaults to time.Now.
	Now func() time.Time
}

// NewVerifier returns a Verifier that accepts messages signed by any of the
// secrets, written as ParseSecret reads them: during a rotation, give the new
// secret and the one it replaces. It needs at least one secret.
func NewVerifier(secrets ...string) (*Verifier, error) {
	if len(secrets) == 0 {
		return nil, errors.New("webhook: NewVerifier needs at least one secret: give the whsec_… secret of the endpoint")
	}
	v := &Verifier{}
	for i, s := range secrets {
		sec, err := ParseSecret(s)
		if err != nil {
			return nil, fmt.Errorf("secret %d: %w", i, err)
		}
		v.secrets = append(v.secrets, sec)
	}
	return v, nil
}

// Verify checks a received message: body is the request body exactly as received,
// before any parsing. It returns nil when the timestamp is within the tolerance and
// one of the message's v1 signatures matches one of the secrets (compared in
// constant time); otherwise one of ErrMissingHeader, ErrInvalidTimestamp,
// ErrStaleTimestamp and ErrNoValidSignature. Deduplicate verified messages by their
// webhook-id: a sender that delivers at least once may send one again.
func (v *Verifier) Verify(header http.Header, body []byte) error {
	id, ts, sigs := header.Get(HeaderID), header.Get(HeaderTimestamp), header.Get(HeaderSignature)
	if id == "" || ts == "" || sigs == "" {
		return ErrMissingHeader
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrInvalidTimestamp
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	tolerance := DefaultTolerance
	if v.Tolerance > 0 {
		tolerance = v.Tolerance
	}
	// In whole seconds, as the timestamp has no finer resolution.
	if skew := now().Unix() - sec; skew > int64(tolerance/time.Second) || -skew > int64(tolerance/time.Second) {
		return ErrStaleTimestamp
	}
	for _, s := range v.secrets {
		want := s.sign(id, ts, body)
		for entry := range strings.FieldsSeq(sigs) {
			version, sig, ok := strings.Cut(entry, ",")
			if !ok || version != signatureVersion {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(sig)
			if err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return ErrNoValidSignature
}
