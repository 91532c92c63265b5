"""schemathesis hooks for eseal: the binary media types of RFC 3161 and RFC 6960 requests are
sent as raw bytes, like application/octet-stream (schemathesis has no serializer for them)."""
import schemathesis

schemathesis.serializer.alias(
    ["application/timestamp-query", "application/ocsp-request"], "application/octet-stream"
)
