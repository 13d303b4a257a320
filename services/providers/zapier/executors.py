"""Zapier: trigger a Zap through its Catch Hook URL (the URL itself is the credential)."""

from __future__ import annotations

from services.runtime.executors import bridge
from services.runtime.executors.registry import executor

executor("zapier", "trigger_zap")(bridge.trigger_zap)
