"""The provider folders' webhook hooks (services/webhooks/hooks.py) agree with the catalog."""

from __future__ import annotations

from services.catalog import load_catalog
from services.webhooks import hooks
from services.webhooks.triggers import BRIDGE_TRIGGER, map_event

GENERIC = {"standard_webhooks", "shared_header", "url_secret"}


def test_every_catalog_signature_scheme_is_generic_or_registered_by_its_provider():
    for spec in load_catalog():
        name = spec.auth.signature
        if name is None or name in GENERIC:
            continue
        own = hooks.hooks_for(spec.slug)
        assert own is not None and name in own.schemes, f"{spec.slug}: no folder registers the scheme {name!r}"
        assert hooks.scheme(name) is own.schemes[name] and hooks.scheme_label(name)


def test_registered_schemes_are_their_providers_catalog_schemes():
    catalog = load_catalog()
    for slug, own in hooks.all_hooks().items():
        for name in own.schemes:
            assert catalog.get(slug).auth.signature == name, f"{slug} registers {name!r}, the catalog says otherwise"


def test_hooks_name_catalog_triggers_and_actions():
    catalog = load_catalog()
    for slug, own in hooks.all_hooks().items():
        spec = catalog.get(slug)
        if own.bridge is not None:
            assert own.bridge.trigger_action in spec.actions, slug
        if own.subscriber is not None:
            assert any(t.subscribe for t in spec.triggers.values()), f"{slug} subscribes but no trigger can"
        if own.app is not None:
            assert own.subscriber is not None and own.app.sandbox_app_id is not None, slug


def test_webhook_bridges_come_from_the_catalog_and_pass_the_whole_body():
    bridges = [spec.slug for spec in load_catalog() if spec.auth.method == "webhook"]
    assert bridges
    for slug in bridges:
        assert map_event(slug, None, {"a": 1}) == (BRIDGE_TRIGGER, {"payload": {"a": 1}})
    assert set(hooks.bridges()) <= set(bridges)


def test_one_outbound_provider_and_its_routes():
    assert hooks.outbound() is not None
    paths = {getattr(r, "path", "") for r in hooks.routes()}
    assert paths and all(p.startswith("/api/") for p in paths)
