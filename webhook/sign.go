package webhook

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/mamori-dev/mamori"
)

// Secret sizes allowed, in bytes before encoding.
const (
	MinSecretBytes = 24
	MaxSecretBytes = 64
	secretPrefix   = "whsec_"
)

// NewSecret returns a fresh secret: whsec_ and base64 of 32 random bytes.
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return secretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

// CheckSecret checks that s is a Standard Webhooks symmetric secret:
// whsec_ then base64 of 24 to 64 bytes. field names it in errors.
func CheckSecret(field, s string) error {
	raw, ok := strings.CutPrefix(s, secretPrefix)
	if !ok {
		return mamori.FieldError(field, "must start with %s (whsec_ and base64 of %d to %d random bytes)", secretPrefix, MinSecretBytes, MaxSecretBytes)
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return mamori.FieldError(field, "is not base64 after %s", secretPrefix)
	}
	if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
		return mamori.FieldError(field, "holds %d bytes; it must hold %d to %d", len(key), MinSecretBytes, MaxSecretBytes)
	}
	return nil
}

// Sign sets the Standard Webhooks headers of a delivery: webhook-id,
// webhook-timestamp (sent at, in Unix seconds) and webhook-signature with
// one "v1,<base64>" per secret, space separated. The signed content is
// id.timestamp.body, with HMAC-SHA256 keyed by each secret's bytes.
func Sign(h http.Header, id string, sentAt time.Time, body []byte, secrets []string) error {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			return fmt.Errorf("signing secret: %w", err)
		}
		sig, err := wh.Sign(id, sentAt, body)
		if err != nil {
			return fmt.Errorf("sign %s: %w", id, err)
		}
		sigs = append(sigs, sig)
	}
	h.Set(standardwebhooks.HeaderWebhookID, id)
	h.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(sentAt.Unix(), 10))
	h.Set(standardwebhooks.HeaderWebhookSignature, strings.Join(sigs, " "))
	return nil
}
