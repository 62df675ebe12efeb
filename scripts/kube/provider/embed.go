//go:build ignore

// Writes the two files the provider command embeds, as the provider's own build would: run by
// scripts/ensure-kube.sh as
//
//	go run embed.go <dir with schema.json and terraform-mapping.json> <out dir> <version>
//
// schema-embed.json is schema.json with its top-level "version" set (the provider serves it to
// the engine and SDK generators); terraform-mapping-embed.json is terraform-mapping.json. Both compact.
// Only the top level of the schema is decoded, so everything below it is kept byte for byte
// (numbers included) apart from whitespace.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) != 4 {
		fail(fmt.Errorf("usage: go run embed.go <src dir> <out dir> <version>"))
	}
	src, out, version := os.Args[1], os.Args[2], os.Args[3]

	raw, err := os.ReadFile(filepath.Join(src, "schema.json"))
	fail(err)
	var schema map[string]json.RawMessage
	fail(json.Unmarshal(raw, &schema))
	if _, ok := schema["resources"]; !ok {
		fail(fmt.Errorf("%s/schema.json has no \"resources\": not a Pulumi package schema", src))
	}
	schema["version"], err = json.Marshal(version)
	fail(err)
	versioned, err := json.Marshal(schema) // json.Marshal compacts each RawMessage
	fail(err)
	fail(os.WriteFile(filepath.Join(out, "schema-embed.json"), versioned, 0o644))

	raw, err = os.ReadFile(filepath.Join(src, "terraform-mapping.json"))
	fail(err)
	var mapping bytes.Buffer
	fail(json.Compact(&mapping, raw))
	fail(os.WriteFile(filepath.Join(out, "terraform-mapping-embed.json"), mapping.Bytes(), 0o644))
}

func fail(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "embed.go:", err)
		os.Exit(1)
	}
}
