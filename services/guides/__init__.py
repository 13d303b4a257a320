"""Integration guides (seed Step 7): written Markdown in docs/integrations/<slug>.md, generated parts
(connection fields, actions and triggers with their schemas, troubleshooting by error category) merged
in from the catalog at render time, and publication by an engineer (audited)."""
