package webhook_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/usagekit/usage/webhook"
)

// The example of the Standard Webhooks specification's reference libraries.
const (
	specSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	specID        = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	specTimestamp = 1614265330
	specBody      = `{"test": 2432232314}`
	specSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

var specTime = time.Unix(specTimestamp, 0)

func mustSecret(t *testing.T, s string) webhook.Secret {
	t.Helper()
	sec, err := webhook.ParseSecret(s)
	require.NoError(t, err)
	return sec
}

func header(values map[string]string) http.Header {
	h := http.Header{}
	for k, v := range values {
		h.Set(k, v)
	}
	return h
}

// verifierAt returns a Verifier of the secrets whose clock reads now.
func verifierAt(t *testing.T, now time.Time, secrets ...string) *webhook.Verifier {
	t.Helper()
	v, err := webhook.NewVerifier(secrets...)
	require.NoError(t, err)
	v.Now = func() time.Time { return now }
	return v
}

func TestSignMatchesTheSpecificationsExample(t *testing.T) {
	t.Parallel()
	got := webhook.Sign(specID, specTime, []byte(specBody), mustSecret(t, specSecret))
	require.Equal(t, specSignature, got)
}

func TestVerifyAcceptsTheSpecificationsExample(t *testing.T) {
	t.Parallel()
	h := header(map[string]string{webhook.HeaderID: specID, webhook.HeaderTimestamp: "1614265330", webhook.HeaderSignature: specSignature})
	require.NoError(t, verifierAt(t, specTime, specSecret).Verify(h, []byte(specBody)))
}

func TestVerifyAcceptsASecretWithoutItsPrefix(t *testing.T) {
	t.Parallel()
	h := header(webhook.Headers(specID, specTime, []byte(specBody), mustSecret(t, specSecret)))
	require.NoError(t, verifierAt(t, specTime, specSecret[len(webhook.SecretPrefix):]).Verify(h, []byte(specBody)))
}

func TestVerifyRejectsABodyChangedByOneByte(t *testing.T) {
	t.Parallel()
	h := header(webhook.Headers(specID, specTime, []byte(specBody), mustSecret(t, specSecret)))
	changed := []byte(specBody)
	changed[len(changed)-2]++
	require.ErrorIs(t, verifierAt(t, specTime, specSecret).Verify(h, changed), webhook.ErrNoValidSignature)
}

func TestVerifyRejectsAChangedID(t *testing.T) {
	t.Parallel()
	h := header(webhook.Headers(specID, specTime, []byte(specBody), mustSecret(t, specSecret)))
	h.Set(webhook.HeaderID, specID+"x")
	require.ErrorIs(t, verifierAt(t, specTime, specSecret).Verify(h, []byte(specBody)), webhook.ErrNoValidSignature)
}

func TestVerifyRejectsTimestampsOutsideTheToleranceEitherWay(t *testing.T) {
	t.Parallel()
	h := header(webhook.Headers(specID, specTime, []byte(specBody), mustSecret(t, specSecret)))
	past := verifierAt(t, specTime.Add(webhook.DefaultTolerance+time.Second), specSecret)
	require.ErrorIs(t, past.Verify(h, []byte(specBody)), webhook.ErrStaleTimestamp)
	future := verifierAt(t, specTime.Add(-webhook.DefaultTolerance-time.Second), specSecret)
	require.ErrorIs(t, future.Verify(h, []byte(specBody)), webhook.ErrStaleTimestamp)
	inside := verifierAt(t, specTime.Add(webhook.DefaultTolerance-time.Second), specSecret)
	require.NoError(t, inside.Verify(h, []byte(specBody)))
}

func TestVerifyRejectsASignatureFromTheWrongSecret(t *testing.T) {
	t.Parallel()
	other, err := webhook.GenerateSecret()
	require.NoError(t, err)
	h := header(webhook.Headers(specID, specTime, []byte(specBody), other))
	require.ErrorIs(t, verifierAt(t, specTime, specSecret).Verify(h, []byte(specBody)), webhook.ErrNoValidSignature)
}

func TestVerifyRejectsASecretRotatedOut(t *testing.T) {
	t.Parallel()
	next, err := webhook.GenerateSecret()
	require.NoError(t, err)
	// Signed by the old secret only, received by an endpoint that dropped it.
	h := header(webhook.Headers(specID, specTime, []byte(specBody), mustSecret(t, specSecret)))
	require.ErrorIs(t, verifierAt(t, specTime, next.String()).Verify(h, []byte(specBody)), webhook.ErrNoValidSignature)
}

func TestVerifyAcceptsEitherSecretDuringARotation(t *testing.T) {
	t.Parallel()
	old := mustSecret(t, specSecret)
	next, err := webhook.GenerateSecret()
	require.NoError(t, err)
	h := header(webhook.Headers(specID, specTime, []byte(specBody), old, next))
	require.NoError(t, verifierAt(t, specTime, specSecret).Verify(h, []byte(specBody)), "receiver with the old secret")
	require.NoError(t, verifierAt(t, specTime, next.String()).Verify(h, []byte(specBody)), "receiver with the new secret")
	onlyNew := header(webhook.Headers(specID, specTime, []byte(specBody), next))
	require.NoError(t, verifierAt(t, specTime, specSecret, next.String()).Verify(onlyNew, []byte(specBody)), "receiver with both")
}

func TestVerifyRejectsMissingHeadersAndBadTimestamps(t *testing.T) {
	t.Parallel()
	v := verifierAt(t, specTime, specSecret)
	for _, name := range []string{webhook.HeaderID, webhook.HeaderTimestamp, webhook.HeaderSignature} {
		h := header(webhook.Headers(specID, specTime, []byte(specBody), mustSecret(t, specSecret)))
		h.Del(name)
		require.ErrorIs(t, v.Verify(h, []byte(specBody)), webhook.ErrMissingHeader, name)
	}
	h := header(webhook.Headers(specID, specTime, []byte(specBody), mustSecret(t, specSecret)))
	h.Set(webhook.HeaderTimestamp, "yesterday")
	require.ErrorIs(t, v.Verify(h, []byte(specBody)), webhook.ErrInvalidTimestamp)
}

func TestVerifySkipsSignaturesOfOtherVersions(t *testing.T) {
	t.Parallel()
	h := header(map[string]string{webhook.HeaderID: specID, webhook.HeaderTimestamp: "1614265330",
		webhook.HeaderSignature: "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v2,abc"})
	require.ErrorIs(t, verifierAt(t, specTime, specSecret).Verify(h, []byte(specBody)), webhook.ErrNoValidSignature)
}

func TestParseSecretRefusesBadSecrets(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "whsec_", "whsec_not base64!", "whsec_c2hvcnQ="} {
		_, err := webhook.ParseSecret(s)
		require.Error(t, err, s)
	}
	_, err := webhook.NewVerifier()
	require.Error(t, err)
}

func TestGeneratedSecretsRoundTrip(t *testing.T) {
	t.Parallel()
	s, err := webhook.GenerateSecret()
	require.NoError(t, err)
	back, err := webhook.ParseSecret(s.String())
	require.NoError(t, err)
	require.Equal(t, s.String(), back.String())
}
