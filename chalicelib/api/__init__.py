"""The HTTP edge: blueprints by resource, request/response schemas, authentication and
authorization middleware, and the one map from business exceptions to HTTP errors."""
