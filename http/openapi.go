package http

import _ "embed"

// OpenAPI is the OpenAPI 3.1 document of the API, served at /openapi.yaml
// and held true by the tests.
//
//go:embed openapi.yaml
var OpenAPI []byte
