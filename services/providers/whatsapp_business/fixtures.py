"""The sandbox connection the demo, benchmarks and contract suite use (services/sandbox/fixtures.py)."""

from services.sandbox.fixtures import SandboxFixture

FIXTURE = SandboxFixture(auth_type="api_key",
                         secrets={"api_key": "sbx_{a}.whatsapp-token", "verify_token": "sbx_{a}.verify-token"},
                         config={"phone_number_id": "100000000000001"})
