"""Command groups of the `layers-hub` CLI (one module per group, each with `register`)."""
