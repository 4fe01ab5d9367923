"""The CRM integration: read API views, signed outbound webhooks, erasure tombstones."""
