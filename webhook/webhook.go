// Package webhook signs and verifies webhooks the way the Standard Webhooks
// specification (https://www.standardwebhooks.com) says: three headers,
// webhook-id (the message's stable ID, the receiver's idempotency key),
// webhook-timestamp (Unix seconds) and webhook-signature (space-separated
// "v1,<base64 HMAC-SHA256 of id.timestamp.body>" entries, one per signing secret, so
// that a secret can be rotated without a gap). Secrets are written "whsec_" followed
// by their bytes in base64.
//
// It has no dependency on the rest of usage: a service that receives usage's
// webhooks imports this package alone and calls Verifier.Verify.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The headers of a signed webhook.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts a secret written as text.
const SecretPrefix = "whsec_"

// Secret sizes: the specification asks for 24 to 64 bytes; GenerateSecret makes 32.
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
)

// signatureVersion tags the symmetric (HMAC-SHA256) signatures of the specification.
const signatureVersion = "v1"

// Secret is a signing key. Its zero value is not usable; build one with
// ParseSecret or GenerateSecret.
type Secret struct {
	key []byte
}

// ParseSecret reads a secret written as "whsec_" followed by base64 (standard
// alphabet, with padding). The prefix may be left out. It fails on text that is not
// base64 and on keys outside [MinSecretBytes, MaxSecretBytes].
func ParseSecret(s string) (Secret, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	if err != nil {
		return Secret{}, fmt.Errorf("webhook: secret is not %s followed by base64: %w", SecretPrefix, err)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return Secret{}, fmt.Errorf("webhook: secret has %d bytes: want %d to %d (GenerateSecret makes one)", len(key), MinSecretBytes, MaxSecretBytes)
	}
	return Secret{key: key}, nil
}

// GenerateSecret returns a new random secret of 32 bytes.
func GenerateSecret() (Secret, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return Secret{}, fmt.Errorf("webhook: generate secret: %w", err)
	}
	return Secret{key: key}, nil
}

// String writes the secret as ParseSecret reads it: "whsec_" and base64.
func (s Secret) String() string { return SecretPrefix + base64.StdEncoding.EncodeToString(s.key) }

// sign returns the raw HMAC-SHA256 of "id.timestamp.body" under the secret.
func (s Secret) sign(id, timestamp string, body []byte) []byte {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// Sign returns the value of the webhook-signature header for a message: one
// "v1,<base64>" entry per secret, separated by spaces. Signing with the old and the
// new secret during a rotation lets receivers that know either verify the message.
func Sign(id string, at time.Time, body []byte, secrets ...Secret) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	entries := make([]string, len(secrets))
	for i, s := range secrets {
		entries[i] = signatureVersion + "," + base64.StdEncoding.EncodeToString(s.sign(id, ts, body))
	}
	return strings.Join(entries, " ")
}

// Headers returns the three headers of a signed message, to set on a request.
func Headers(id string, at time.Time, body []byte, secrets ...Secret) map[string]string {
	return map[string]string{
		HeaderID:        id,
		HeaderTimestamp: strconv.FormatInt(at.Unix(), 10),
		HeaderSignature: Sign(id, at, body, secrets...),
	}
}

// Errors of Verify. Each tells the receiver to refuse the message (an HTTP 400 or
// 401); none says which part of a signature was wrong.
var (
	// ErrMissingHeader means one of the three headers is absent or empty.
	ErrMissingHeader = errors.New("webhook: missing header")
	// ErrInvalidTimestamp means webhook-timestamp is not Unix seconds.
	ErrInvalidTimestamp = errors.New("webhook: invalid timestamp")
	// ErrStaleTimestamp means the timestamp lies further from now than the tolerance,
	// in the past (a replay) or the future.
	ErrStaleTimestamp = errors.New("webhook: timestamp outside the tolerance")
	// ErrNoValidSignature means no signature of the message matches any secret.
	ErrNoValidSignature = errors.New("webhook: no valid signature")
)
