"""Contract tests for services/catalog/catalog.yaml (in the spirit of Nango's validate.ts).

The expected values below are copied from the product spec
(shared/seed/phase-4-integration-expansion.md), not from the loader, so a drifting catalog fails.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from services.catalog import (
    AUTH_METHODS,
    CATEGORY_SLUGS,
    Catalog,
    CatalogError,
    FieldSpec,
    IntegrationSpec,
    load_catalog,
)
from services.catalog.spec import placeholders

# Seed "Integration Categories": heading -> services, in document order.
SEED_CATEGORIES: dict[str, tuple[str, list[str]]] = {
    "crm": ("CRM", ["HubSpot", "Salesforce", "Pipedrive", "Zoho CRM", "Copper"]),
    "email-marketing": ("Email Marketing",
                        ["ActiveCampaign", "Mailchimp", "ConvertKit", "Klaviyo", "SendinBlue"]),
    "messaging": ("Messaging",
                  ["WhatsApp Business", "ManyChat", "Telegram", "Instagram DM", "Facebook Messenger"]),
    "communication": ("Communication", ["Chatwoot", "Infobip", "Pushover", "Twilio SMS", "Slack"]),
    "email-delivery": ("Email Delivery", ["Resend", "SendGrid", "Postmark", "Mailgun", "Amazon SES"]),
    "websites": ("Websites", ["WordPress", "Webflow", "Squarespace", "Wix", "Shopify"]),
    "payments": ("Payments", ["Stripe", "PayPal", "Mollie", "Square", "Braintree"]),
    "automation": ("Automation", ["n8n", "Make", "Zapier", "Pipedream"]),
    "calendar-booking": ("Calendar & Booking", ["Calendly", "Cal.com", "Acuity Scheduling", "SimplyBook.me"]),
    "analytics": ("Analytics", ["PostHog", "Google Analytics", "Plausible", "Mixpanel", "Amplitude"]),
    "dev-deploy": ("Dev & Deploy", ["GitHub", "Vercel", "Netlify", "GitLab", "Bitbucket"]),
    "office-productivity": ("Office & Productivity",
                            ["Microsoft 365", "Google Workspace", "Notion", "Airtable", "Asana"]),
}

# Marked "(already integrated)" in the seed.
SEED_EXISTING = {
    "activecampaign", "whatsapp-business", "chatwoot", "infobip", "resend", "stripe",
    "posthog", "github", "vercel", "microsoft-365", "google-workspace",
}

# Seed "Priority Integrations (Top 10)": slug -> (rank, priority, actions, triggers).
SEED_TOP10: dict[str, tuple[int, str, list[str], list[str]]] = {
    "hubspot": (1, "high",
                ["Create/update contact", "Add to list", "Update deal stage", "Send email via HubSpot",
                 "Create task/note"],
                ["Contact created/updated", "Deal stage changed", "Form submitted"]),
    "activecampaign": (2, "high",
                       ["Add contact to list", "Apply tag", "Create deal", "Send email",
                        "Update custom field"],
                       ["Contact subscribed", "Tag applied", "Deal stage changed"]),
    "mailchimp": (3, "high",
                  ["Add subscriber to list", "Update subscriber", "Send campaign", "Add tag"],
                  ["Subscriber added", "Campaign sent", "Subscriber unsubscribed"]),
    "calendly": (4, "high",
                 ["Get scheduled events", "Cancel event"],
                 ["Event scheduled", "Event canceled", "Event rescheduled"]),
    "wordpress": (5, "medium",
                  ["Create post/page", "Update post/page", "Get posts", "Add comment"],
                  ["New post published", "New comment",
                   "Form submitted (via WPForms, Contact Form 7, etc.)"]),
    "webflow": (6, "medium",
                ["Create CMS item", "Update CMS item", "Publish site"],
                ["Form submitted", "CMS item created"]),
    "salesforce": (7, "medium",
                   ["Create/update lead, contact, opportunity", "Add to campaign", "Create task"],
                   ["Lead created/updated", "Opportunity stage changed"]),
    "n8n": (8, "high",
            ["Trigger n8n workflow", "Get workflow execution result"],
            ["n8n workflow sends webhook to Layers"]),
    "make": (9, "medium",
             ["Trigger Make scenario", "Send data to Make"],
             ["Make sends webhook to Layers"]),
    "zapier": (10, "high",
               ["Trigger Zap from Layers"],
               ["Zap sends data to Layers"]),
}

# Seed "Authentication" lines of the top 10: the method (or an alternative) must match.
SEED_TOP10_AUTH = {
    "hubspot": "oauth2", "activecampaign": "api_key", "mailchimp": "oauth2", "calendly": "oauth2",
    "wordpress": "app_password", "webflow": "api_key", "salesforce": "oauth2",
    "n8n": "webhook", "make": "webhook", "zapier": "webhook",
}
WEBHOOK_BRIDGES = {"n8n", "make", "zapier"}
SIGNATURE_SCHEMES = {"hubspot_v3", "calendly", "webflow", "shared_header", "url_secret", "standard_webhooks"}
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
EXAMPLE_EMAIL_RE = re.compile(r"@example\.(com|org|net)$")


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def all_fields(spec: IntegrationSpec):
    """(where, name, field) for every field the integration declares."""
    for name, field in spec.connection_fields.items():
        yield f"{spec.slug}.connection_fields", name, field
    for key, action in spec.actions.items():
        for part in ("inputs", "outputs"):
            for name, field in getattr(action, part).items():
                yield f"{spec.slug}.actions.{key}.{part}", name, field
    for key, trigger in spec.triggers.items():
        for part in ("inputs", "outputs"):
            for name, field in getattr(trigger, part).items():
                yield f"{spec.slug}.triggers.{key}.{part}", name, field


# ------------------------------------------------------------------ shape of the catalog


def test_categories_are_the_twelve_seed_categories_in_order(catalog: Catalog) -> None:
    assert list(catalog.categories) == list(SEED_CATEGORIES) == list(CATEGORY_SLUGS)
    assert catalog.categories == {slug: name for slug, (name, _) in SEED_CATEGORIES.items()}


def test_every_seed_service_is_in_its_category_with_the_seed_name(catalog: Catalog) -> None:
    for category, (_, names) in SEED_CATEGORIES.items():
        in_catalog = [spec.name for spec in catalog if spec.category == category]
        assert sorted(in_catalog) == sorted(names), category
    assert len(catalog) == sum(len(names) for _, names in SEED_CATEGORIES.values()) == 58


def test_every_integration_category_is_known(catalog: Catalog) -> None:
    for spec in catalog:
        assert spec.category in catalog.categories, spec.slug


def test_slugs_are_unique_well_formed_and_derived_from_names(catalog: Catalog) -> None:
    slugs = [spec.slug for spec in catalog]
    assert len(slugs) == len(set(slugs))
    for spec in catalog:
        assert SLUG_RE.match(spec.slug), spec.slug
        assert spec.slug == slugify(spec.name), spec.slug
        assert catalog.get(spec.slug) is spec


def test_unknown_slug_raises_key_error_with_a_hint(catalog: Catalog) -> None:
    with pytest.raises(KeyError, match="zoho-crm"):
        catalog.get("zoho")


def test_auth_methods_are_known(catalog: Catalog) -> None:
    for spec in catalog:
        assert spec.auth_method in AUTH_METHODS, spec.slug
        assert set(spec.auth.alternatives) <= set(AUTH_METHODS), spec.slug
        assert spec.auth.method not in spec.auth.alternatives, spec.slug


def test_existing_flags_match_the_seed(catalog: Catalog) -> None:
    assert {spec.slug for spec in catalog.existing()} == SEED_EXISTING


def test_default_catalog_is_loaded_once(catalog: Catalog) -> None:
    assert load_catalog() is catalog


# ------------------------------------------------------------------ the top 10


def test_top10_ranks_and_priorities_match_the_seed(catalog: Catalog) -> None:
    top = catalog.top10()
    assert [spec.top10_rank for spec in top] == list(range(1, 11))
    assert {spec.slug: (spec.top10_rank, spec.priority) for spec in top} == {
        slug: (rank, priority) for slug, (rank, priority, _, _) in SEED_TOP10.items()
    }
    others = [spec.slug for spec in catalog if spec.slug not in SEED_TOP10]
    assert all(catalog.get(s).priority is None and catalog.get(s).top10_rank is None for s in others)


@pytest.mark.parametrize("slug", list(SEED_TOP10))
def test_top10_has_every_seed_action_and_trigger(catalog: Catalog, slug: str) -> None:
    _, _, actions, triggers = SEED_TOP10[slug]
    spec = catalog.get(slug)
    action_titles = [a.title for a in spec.actions.values()]
    trigger_titles = [t.title for t in spec.triggers.values()]
    assert set(actions) <= set(action_titles), set(actions) - set(action_titles)
    assert set(triggers) <= set(trigger_titles), set(triggers) - set(trigger_titles)
    assert len(action_titles) == len(set(action_titles))
    assert len(trigger_titles) == len(set(trigger_titles))


@pytest.mark.parametrize("slug", list(SEED_TOP10))
def test_top10_auth_matches_the_seed_and_is_complete(catalog: Catalog, slug: str) -> None:
    spec = catalog.get(slug)
    assert SEED_TOP10_AUTH[slug] in (spec.auth.method, *spec.auth.alternatives)
    assert spec.docs_url
    assert spec.docs_url.startswith("https://")
    if any(t.subscribe for t in spec.triggers.values()) or slug in WEBHOOK_BRIDGES:
        assert spec.auth.signature, "webhook-delivered triggers need a verification scheme"
    if slug not in {"make", "zapier"}:  # plain webhook URLs: nothing to call for a check
        assert spec.base_url, "top-10 API integrations need a base_url"
        assert spec.check, "top-10 API integrations need a check call"
    if spec.auth.method in {"api_key", "app_password", "basic"}:
        assert any(f.secret for f in spec.connection_fields.values()) or spec.auth.method == "basic"


@pytest.mark.parametrize("slug", list(SEED_TOP10))
def test_top10_triggers_name_provider_events(catalog: Catalog, slug: str) -> None:
    for trigger in catalog.get(slug).triggers.values():
        assert trigger.outputs, trigger.key
        if slug in WEBHOOK_BRIDGES:
            assert trigger.events == [], "bridges receive whatever the user's workflow sends"
        else:
            # An event-less trigger must at least say how it is delivered.
            assert trigger.events or trigger.description, trigger.key
        if trigger.subscribe:
            assert trigger.events, trigger.key


def test_token_lifetime_facts_from_providers_md(catalog: Catalog) -> None:
    assert catalog.get("calendly").auth.refresh_token_rotates
    assert catalog.get("calendly").auth.pkce
    assert not catalog.get("mailchimp").auth.token_expires
    assert not catalog.get("webflow").auth.token_expires
    assert catalog.get("mailchimp").auth.scopes == []
    assert catalog.get("wordpress").auth.alternatives == ["oauth2"]
    assert "{dc}" in (catalog.get("mailchimp").base_url or "")


# ------------------------------------------------------------------ meaning checks for every entry


def test_oauth2_integrations_have_https_authorize_and_token_urls(catalog: Catalog) -> None:
    for spec in catalog:
        if "oauth2" in (spec.auth.method, *spec.auth.alternatives):
            for url in (spec.auth.authorize_url, spec.auth.token_url):
                assert url, spec.slug
                assert url.startswith("https://"), spec.slug
                assert placeholders(url) <= set(spec.connection_fields), spec.slug


def test_signature_schemes_are_known(catalog: Catalog) -> None:
    from services.webhooks import hooks  # provider schemes are registered by their folders' webhooks.py

    registered = {name for own in hooks.all_hooks().values() for name in own.schemes}
    for spec in catalog:
        assert spec.auth.signature in SIGNATURE_SCHEMES | registered | {None}, spec.slug


def test_api_key_template_uses_the_key(catalog: Catalog) -> None:
    for spec in catalog:
        if spec.auth.template is not None:
            assert placeholders(spec.auth.template) == {"api_key"}, spec.slug
            assert spec.auth.header or spec.auth.query_param, spec.slug


def test_base_url_and_check_placeholders_are_connection_fields(catalog: Catalog) -> None:
    for spec in catalog:
        known = set(spec.connection_fields)
        assert placeholders(spec.base_url) <= known, spec.slug
        if spec.check:
            assert placeholders([spec.check.path, spec.check.base_url]) <= known, spec.slug
            assert spec.check.base_url or spec.base_url, spec.slug


def test_action_placeholders_are_inputs_or_connection_fields(catalog: Catalog) -> None:
    for spec in catalog:
        for action in spec.actions.values():
            known = set(action.inputs) | set(spec.connection_fields)
            used = placeholders([action.path, action.query, action.body])
            assert used <= known, f"{spec.slug}.{action.key}: undefined {used - known}"
            if action.executor is None:
                assert spec.base_url, action.key
                assert action.path, action.key
                assert action.path.startswith("/"), action.key


def test_trigger_subscribe_placeholders_are_inputs_or_connection_fields(catalog: Catalog) -> None:
    for spec in catalog:
        for trigger in spec.triggers.values():
            if trigger.subscribe:
                known = set(trigger.inputs) | set(spec.connection_fields)
                used = placeholders([trigger.subscribe.path, trigger.subscribe.base_url])
                assert used <= known, f"{spec.slug}.{trigger.key}: undefined {used - known}"
            if trigger.unsubscribe:   # {id} is the provider's id of the subscription
                used = placeholders([trigger.unsubscribe.path, trigger.unsubscribe.base_url])
                assert used <= known | {"id"}, f"{spec.slug}.{trigger.key}: undefined {used - known - {'id'}}"


def test_unsubscribe_needs_subscribe_and_the_subscription_id(tmp_path: Path) -> None:
    trigger = {"title": "Pinged", "events": ["ping"], "outputs": {"id": {}}}
    with pytest.raises(CatalogError, match=r"acme\.triggers\.pinged.*unsubscribe needs subscribe"):
        load_catalog(_write(tmp_path, _mutated(triggers={"pinged": {
            **trigger, "unsubscribe": {"method": "DELETE", "path": "/hooks/{id}"}}})))
    with pytest.raises(CatalogError, match=r"needs the subscription's \{id\}"):
        load_catalog(_write(tmp_path, _mutated(triggers={"pinged": {
            **trigger, "subscribe": {"method": "POST", "path": "/hooks"},
            "unsubscribe": {"method": "DELETE", "path": "/hooks"}}})))


def test_action_keys_are_snake_case_and_titles_present(catalog: Catalog) -> None:
    for spec in catalog:
        for key, action in spec.actions.items():
            assert action.key == key
            assert re.fullmatch(r"[a-z][a-z0-9_]*", key)
            assert action.title.strip()


def test_required_inputs_have_examples(catalog: Catalog) -> None:
    for spec in catalog:
        for action in spec.actions.values():
            for name, field in action.inputs.items():
                if field.required:
                    assert field.example is not None, f"{spec.slug}.{action.key}.{name}"
        for name, field in spec.connection_fields.items():
            if field.required:
                assert field.example is not None, f"{spec.slug}.connection_fields.{name}"


def _example_fits(field: FieldSpec) -> bool:
    value = field.example
    if field.type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if field.type == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if field.type == "boolean":
        return isinstance(value, bool)
    if field.type in {"object", "array"}:
        return isinstance(value, dict if field.type == "object" else list)
    if not isinstance(value, str):
        return False
    if field.type == "email":
        return bool(EXAMPLE_EMAIL_RE.search(value))
    if field.type == "url":
        return value.startswith(("https://", "http://"))
    if field.type == "datetime":
        return datetime.fromisoformat(value.replace("Z", "+00:00")) is not None
    return True


def test_examples_match_types_enums_and_patterns(catalog: Catalog) -> None:
    for spec in catalog:
        for where, name, field in all_fields(spec):
            if field.example is None:
                continue
            assert _example_fits(field), f"{where}.{name}: {field.example!r} is not a {field.type}"
            if field.enum is not None:
                assert field.example in field.enum, f"{where}.{name}"
            if field.pattern is not None:
                assert re.search(field.pattern, str(field.example)), f"{where}.{name}"


def test_example_emails_use_example_domains(catalog: Catalog) -> None:
    for spec in catalog:
        for where, name, field in all_fields(spec):
            text = yaml.safe_dump(field.example)
            for email in re.findall(r"[\w.+-]+@[\w.-]+", text):
                assert EXAMPLE_EMAIL_RE.search(email), f"{where}.{name}: {email}"


def test_secrets_are_not_mappable_and_have_no_real_looking_examples(catalog: Catalog) -> None:
    secretish = re.compile(r"(api_key|password|secret|token)$")
    for spec in catalog:
        for name, field in spec.connection_fields.items():
            if secretish.search(name):
                assert field.secret, f"{spec.slug}.{name} should be secret"
            if field.secret:
                assert not field.mappable, f"{spec.slug}.{name}"
                assert field.example is None or "xxxx" in str(field.example), f"{spec.slug}.{name}"
        for action in spec.actions.values():
            assert not any(f.secret for f in action.inputs.values()), "secrets belong to the connection"


def test_rate_limits_are_positive_and_scoped(catalog: Catalog) -> None:
    for spec in catalog:
        for limit in spec.rate_limits:
            assert (limit.requests or 0) > 0 or (limit.concurrency or 0) > 0, spec.slug
            if limit.requests is not None:
                assert limit.per_seconds is not None, spec.slug
                assert limit.per_seconds > 0, spec.slug


def test_declarative_defaults_for_idempotency(catalog: Catalog) -> None:
    cancel = catalog.get("calendly").actions["cancel_event"]
    assert cancel.method == "POST"
    assert cancel.idempotent is False
    listing = catalog.get("calendly").actions["get_scheduled_events"]
    assert listing.method == "GET"
    assert listing.idempotent is True
    assert catalog.get("hubspot").actions["upsert_contact"].idempotent is True  # explicit override


# ------------------------------------------------------------------ broken catalogs must fail loudly

MINIMAL = {
    "categories": {"crm": "CRM"},
    "integrations": {
        "acme": {
            "name": "Acme",
            "category": "crm",
            "auth": {"method": "oauth2", "authorize_url": "https://acme.example.com/authorize",
                     "token_url": "https://acme.example.com/token"},
            "base_url": "https://api.example.com",
            "actions": {
                "ping": {"title": "Ping", "method": "GET", "path": "/ping"},
                "poke": {"title": "Poke", "method": "POST", "path": "/poke"},
            },
        },
    },
}


def _write(tmp_path: Path, data: dict | str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
    return path


def _mutated(**changes) -> dict:
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    data["integrations"]["acme"].update(changes)
    return data


def test_minimal_catalog_loads_with_keys_filled_in(tmp_path: Path) -> None:
    cat = load_catalog(_write(tmp_path, MINIMAL))
    acme = cat.get("acme")
    assert acme.slug == "acme"
    assert acme.actions["ping"].key == "ping"
    assert acme.actions["ping"].idempotent is True
    assert acme.actions["poke"].idempotent is False


def test_bad_category_is_rejected_naming_the_integration(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"acme.*unknown category 'crmm'"):
        load_catalog(_write(tmp_path, _mutated(category="crmm")))


def test_unknown_category_slug_is_rejected(tmp_path: Path) -> None:
    data = _mutated()
    data["categories"]["toys"] = "Toys"
    with pytest.raises(CatalogError, match=r"unknown categories.*toys"):
        load_catalog(_write(tmp_path, data))


def test_duplicate_slug_is_rejected(tmp_path: Path) -> None:
    text = yaml.safe_dump(MINIMAL, sort_keys=False)
    entry = text[text.index("  acme:"):]
    with pytest.raises(CatalogError, match="duplicate key 'acme'"):
        load_catalog(_write(tmp_path, text + entry))


def test_missing_oauth_url_is_rejected_naming_the_field(tmp_path: Path) -> None:
    data = _mutated(auth={"method": "oauth2", "authorize_url": "https://acme.example.com/authorize"})
    with pytest.raises(CatalogError, match=r"integrations\.acme\.auth.*oauth2 requires token_url"):
        load_catalog(_write(tmp_path, data))


def test_oauth_alternative_also_needs_urls(tmp_path: Path) -> None:
    data = _mutated(auth={"method": "api_key", "alternatives": ["oauth2"]})
    with pytest.raises(CatalogError, match=r"acme\.auth.*authorize_url and token_url"):
        load_catalog(_write(tmp_path, data))


def test_unknown_field_and_auth_method_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"acme\.display_name"):
        load_catalog(_write(tmp_path, _mutated(display_name="Acme")))
    with pytest.raises(CatalogError, match=r"acme\.auth\.method"):
        load_catalog(_write(tmp_path, _mutated(auth={"method": "magic"})))


def test_duplicate_top10_rank_is_rejected(tmp_path: Path) -> None:
    data = _mutated(top10_rank=1)
    data["integrations"]["other"] = {**data["integrations"]["acme"], "name": "Other"}
    with pytest.raises(CatalogError, match="top10_rank 1 already taken by 'acme'"):
        load_catalog(_write(tmp_path, data))


def test_action_without_request_or_executor_is_rejected(tmp_path: Path) -> None:
    data = _mutated(actions={"ping": {"title": "Ping"}})
    with pytest.raises(CatalogError, match=r"acme\.actions\.ping.*method and path"):
        load_catalog(_write(tmp_path, data))


def test_conflicting_explicit_slug_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="slug 'acme2' differs"):
        load_catalog(_write(tmp_path, _mutated(slug="acme2")))


def test_unparsable_yaml_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"catalog\.yaml"):
        load_catalog(_write(tmp_path, "categories: [unclosed\n"))
