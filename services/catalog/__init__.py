"""The one declarative integration catalog (see ``spec.py`` and ``catalog.yaml``)."""

from services.catalog.spec import (
    AUTH_METHODS,
    CATEGORY_SLUGS,
    ActionSpec,
    AuthSpec,
    Catalog,
    CatalogError,
    FieldSpec,
    IntegrationSpec,
    RateLimitSpec,
    RequestSpec,
    TriggerSpec,
    load_catalog,
)

__all__ = [
    "AUTH_METHODS",
    "CATEGORY_SLUGS",
    "ActionSpec",
    "AuthSpec",
    "Catalog",
    "CatalogError",
    "FieldSpec",
    "IntegrationSpec",
    "RateLimitSpec",
    "RequestSpec",
    "TriggerSpec",
    "load_catalog",
]
