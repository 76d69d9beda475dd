package webhook_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/usagekit/usage/webhook"
)

// A receiver checks each webhook before it trusts it.
func ExampleVerifier_Verify() {
	v, err := webhook.NewVerifier("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		panic(err)
	}
	v.Now = func() time.Time { return time.Unix(1614265330, 0) } // the example's time

	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	fmt.Println(v.Verify(h, []byte(`{"test": 2432232314}`)))
	fmt.Println(v.Verify(h, []byte(`{"test": 2432232315}`)))
	// Output:
	// <nil>
	// webhook: no valid signature
}
