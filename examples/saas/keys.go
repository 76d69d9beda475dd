package main

import (
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/usagekit/usage/httpapi"
)

// keyring holds the service's API keys, made at start: one per tenant and one for
// the operator. A real service keeps hashed keys in its own database.
type keyring struct {
	keys []apiKey
}

type apiKey struct {
	// holder is the tenant's subject, or operatorName.
	holder    string
	secret    string
	principal httpapi.Principal
}

// operatorName is the holder of the operator's key.
const operatorName = "operator"

func newKeyring(tenants []string) *keyring {
	k := &keyring{}
	for _, t := range tenants {
		k.keys = append(k.keys, apiKey{holder: t, secret: "sk_" + t + "_" + rand.Text(),
			principal: httpapi.Principal{Subject: t, Name: t}})
	}
	k.keys = append(k.keys, apiKey{holder: operatorName, secret: "sk_op_" + rand.Text(),
		principal: httpapi.Principal{Operator: true, Name: "ops@example.com"}})
	return k
}

// key returns the key of a tenant, or the operator's for operatorName.
func (k *keyring) key(holder string) string {
	for _, key := range k.keys {
		if key.holder == holder {
			return key.secret
		}
	}
	return ""
}

var errNoKey = errors.New("send an API key as Authorization: Bearer <key>")

// authenticate is the API's Options.Authenticate: the principal of the request's
// bearer key.
func (k *keyring) authenticate(r *http.Request) (httpapi.Principal, error) {
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || secret == "" {
		return httpapi.Principal{}, errNoKey
	}
	// Every key is compared, in constant time, so the answer's timing says nothing
	// of how much of a guess was right.
	var found *httpapi.Principal
	for i := range k.keys {
		if subtle.ConstantTimeCompare([]byte(secret), []byte(k.keys[i].secret)) == 1 {
			found = &k.keys[i].principal
		}
	}
	if found == nil {
		return httpapi.Principal{}, errors.New("unknown API key")
	}
	return *found, nil
}

// subject is the middleware's SubjectFunc: the tenant of the request's key. The
// operator's key is no tenant, so the metered routes refuse it.
func (k *keyring) subject(r *http.Request) (subject, user string, ok bool) {
	p, err := k.authenticate(r)
	if err != nil || p.Operator {
		return "", "", false
	}
	return p.Subject, "", true
}
