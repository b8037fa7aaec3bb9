"""Extension points of the catalogue (apps.core.hooks)."""

from apps.core.hooks import Hook

quote_application = Hook(
    "quotes.application",
    required=True,
    doc="fn(*, quote, actor) -> None, inside the application's transaction (`apps.catalog.services.quote_apply`): "
    "put the requested cover in an agent's pipeline — a lead for a prospect, an opportunity for an existing "
    "customer — with the quote attached. Raising refuses the application (nothing is written). The CRM provides it.",
)
