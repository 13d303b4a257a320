"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

FIXTURE = SandboxFixture(auth_type="api_key", secrets={"api_key": "sbx_{a}.postmark-server-token"})
