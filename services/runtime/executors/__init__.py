"""Node executors (seed Step 5): a registry keyed by (service, action), a declarative default driven
by the catalog, and hand-written executors only where the catalog can't describe the request."""
