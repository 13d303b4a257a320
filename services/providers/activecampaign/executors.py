"""ActiveCampaign: sending a campaign now is only in the legacy v1 API (believed), which reports
failure with HTTP 200 and result_code 0 — that is an error here."""

from __future__ import annotations

from typing import Any

from services.runtime.executors.context import ActionContext, ActionOutcome
from services.runtime.executors.declarative import preview_output
from services.runtime.executors.registry import executor
from services.runtime.provider_errors import ValidationFailed


def v1_url(ctx: ActionContext) -> str:
    # The v3 base is {account_url}/api/3; v1 lives at {account_url}/admin/api.php (B).
    return ctx.client.base_url.rsplit("/api/3", 1)[0] + "/admin/api.php"


@executor("activecampaign", "send_email", name="activecampaign_campaign_send")
def send_campaign(ctx: ActionContext, inputs: dict[str, Any]) -> ActionOutcome:
    params = {"api_action": "campaign_send", "api_output": "json",
              "api_key": ctx.client.secrets.get("api_key")}
    form = {"email": inputs["email"], "campaignid": inputs["campaign_id"], "type": "mime", "action": "send"}
    response = ctx.client.request("POST", v1_url(ctx), params=params, data=form, idempotent=False)
    if response is None:
        return ActionOutcome(preview_output(ctx.action.outputs), preview=True)
    body = response.json()
    if str(body.get("result_code", "0")) != "1":
        raise ValidationFailed(f"ActiveCampaign did not send the campaign: {body.get('result_message') or 'no reason'}",
                               status=response.status_code, provider_message=body.get("result_message"))
    return ActionOutcome({"result_code": int(body["result_code"]), "result_message": body.get("result_message")})
