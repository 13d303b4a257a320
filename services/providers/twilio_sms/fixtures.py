"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

# The Account SID follows the definition's pattern (^AC + 32 hex, its own example); the auth token names the account
FIXTURE = SandboxFixture(auth_type="basic", secrets={"password": "sbx_{a}.twilio-token"},
                         config={"username": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
