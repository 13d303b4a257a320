"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py): a personal
access token (the catalog's ``api_key`` alternative), sent as ``Authorization: Bearer`` like an OAuth token."""

from services.sandbox.fixtures import SandboxFixture

FIXTURE = SandboxFixture(auth_type="api_key", secrets={"api_key": "sbx_{a}.github-token"})
