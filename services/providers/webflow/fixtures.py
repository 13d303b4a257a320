"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

# config: the sandbox site (the catalog's example site_id)
FIXTURE = SandboxFixture(
    auth_type="api_key",
    secrets={"api_key": "sbx_{a}.site-token"},
    config={"site_id": "0123456789abcdef01234567"},
)
