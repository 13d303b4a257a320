"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

# config: a Square sandbox account's host (the stand-in answers both hosts)
FIXTURE = SandboxFixture(auth_type="api_key", secrets={"api_key": "sbx_{a}.square-token"},
                         config={"environment": "connect.squareupsandbox.com"})
