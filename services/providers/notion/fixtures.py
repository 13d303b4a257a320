"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

# an internal integration's secret (Notion's are ntn_...; the sandbox rule wants sbx_)
FIXTURE = SandboxFixture(auth_type="api_key", secrets={"api_key": "sbx_{a}.notion-secret"})
