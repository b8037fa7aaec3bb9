"""django-unfold configuration: branding and a sidebar grouped by bounded context, filtered by role."""

from django.templatetags.static import static
from django.urls import reverse_lazy


def _can(module: str, access: str = "read"):
    def check(request) -> bool:
        user = request.user
        return user.is_authenticated and user.can(module, access)

    return check


UNFOLD = {
    "SITE_TITLE": "InsureOps back office",
    "SITE_HEADER": "InsureOps",
    "SITE_SUBHEADER": "Insurance operations",
    "SITE_SYMBOL": "shield",
    "DASHBOARD_CALLBACK": "apps.analytics.admin_dashboard.dashboard_callback",
    "SITE_FAVICONS": [
        {"rel": "icon", "sizes": "any", "type": "image/svg+xml", "href": lambda request: static("img/favicon.svg")},
    ],
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "BORDER_RADIUS": "6px",
    "COLORS": {
        "primary": {
            "50": "oklch(97% .02 250)",
            "100": "oklch(93% .04 250)",
            "200": "oklch(87% .07 250)",
            "300": "oklch(78% .11 250)",
            "400": "oklch(68% .15 250)",
            "500": "oklch(58% .18 250)",
            "600": "oklch(50% .18 250)",
            "700": "oklch(43% .16 250)",
            "800": "oklch(37% .13 250)",
            "900": "oklch(32% .10 250)",
            "950": "oklch(24% .08 250)",
        },
    },
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": [
            {
                "title": "Customers",
                "separator": True,
                "items": [
                    {
                        "title": "Customers",
                        "icon": "groups_3",
                        "link": reverse_lazy("admin:customers_customer_changelist"),
                        "permission": _can("customers"),
                    },
                    {
                        "title": "Interactions",
                        "icon": "forum",
                        "link": reverse_lazy("admin:customers_interaction_changelist"),
                        "permission": _can("customers"),
                    },
                    {
                        "title": "Documents",
                        "icon": "description",
                        "link": reverse_lazy("admin:documents_document_changelist"),
                        "permission": _can("documents"),
                    },
                ],
            },
            {
                "title": "Products & policies",
                "separator": True,
                "items": [
                    {
                        "title": "Policies",
                        "icon": "contract",
                        "link": reverse_lazy("admin:policies_policy_changelist"),
                        "permission": _can("policies"),
                    },
                    {
                        "title": "Products",
                        "icon": "inventory_2",
                        "link": reverse_lazy("admin:catalog_product_changelist"),
                        "permission": _can("pricing"),
                    },
                    {
                        "title": "Payments",
                        "icon": "payments",
                        "link": reverse_lazy("admin:billing_payment_changelist"),
                        "permission": _can("billing"),
                    },
                    {
                        "title": "Commission statement",
                        "icon": "percent",
                        "link": reverse_lazy("admin:billing_commission_changelist"),
                        "permission": _can("billing"),
                    },
                ],
            },
            {
                "title": "Claims",
                "separator": True,
                "items": [
                    {
                        "title": "Claims workbench",
                        "icon": "car_crash",
                        "link": reverse_lazy("admin:claims_claim_changelist"),
                        "permission": _can("claims"),
                    },
                    {
                        "title": "Assessments",
                        "icon": "fact_check",
                        "link": reverse_lazy("admin:claims_assessment_changelist"),
                        "permission": _can("assessments"),
                    },
                    {
                        "title": "Payment approvals",
                        "icon": "approval",
                        "link": reverse_lazy("admin:claims_claimpayment_changelist"),
                        "permission": _can("claims"),
                    },
                ],
            },
            {
                "title": "CRM",
                "separator": True,
                "items": [
                    {
                        "title": "My day",
                        "icon": "today",
                        "link": reverse_lazy("admin:crm_my_day"),
                        "permission": _can("crm"),
                    },
                    {
                        "title": "Leads",
                        "icon": "person_search",
                        "link": reverse_lazy("admin:crm_lead_changelist"),
                        "permission": _can("crm"),
                    },
                    {
                        "title": "Pipeline board",
                        "icon": "view_kanban",
                        "link": reverse_lazy("admin:crm_opportunity_board"),
                        "permission": _can("crm"),
                    },
                    {
                        "title": "Tasks",
                        "icon": "task_alt",
                        "link": reverse_lazy("admin:crm_task_changelist"),
                        "permission": _can("crm"),
                    },
                    {
                        "title": "Appointments",
                        "icon": "event",
                        "link": reverse_lazy("admin:crm_appointment_changelist"),
                        "permission": _can("crm"),
                    },
                    {
                        "title": "AI copilot",
                        "icon": "smart_toy",
                        "link": reverse_lazy("admin:assistant_copilot"),
                        "permission": _can("crm"),
                    },
                ],
            },
            {
                "title": "Renewals",
                "separator": True,
                "items": [
                    {
                        "title": "Cases workbench",
                        "icon": "autorenew",
                        "link": reverse_lazy("admin:renewals_renewalcase_changelist"),
                        "permission": _can("cases"),
                    },
                    {
                        "title": "Upload batches",
                        "icon": "upload_file",
                        "link": reverse_lazy("admin:renewals_uploadbatch_changelist"),
                        "permission": _can("upload"),
                    },
                ],
            },
            {
                "title": "Users & access",
                "separator": True,
                "items": [
                    {
                        "title": "Users",
                        "icon": "person",
                        "link": reverse_lazy("admin:accounts_user_changelist"),
                        "permission": _can("users"),
                    },
                    {
                        "title": "Saved filters",
                        "icon": "filter_alt",
                        "link": reverse_lazy("admin:accounts_savedfilter_changelist"),
                        "permission": _can("profile"),
                    },
                    {
                        "title": "Teams",
                        "icon": "groups",
                        "link": reverse_lazy("admin:accounts_team_changelist"),
                        "permission": _can("teams"),
                    },
                    {
                        "title": "Branches",
                        "icon": "store",
                        "link": reverse_lazy("admin:accounts_branch_changelist"),
                        "permission": _can("teams"),
                    },
                ],
            },
            {
                "title": "Audit",
                "separator": True,
                "items": [
                    {
                        "title": "Security events",
                        "icon": "policy",
                        "link": reverse_lazy("admin:audit_securityevent_changelist"),
                        "permission": _can("audit"),
                    },
                    {
                        "title": "Data changes",
                        "icon": "history",
                        "link": reverse_lazy("admin:pghistory_events_changelist"),
                        "permission": _can("audit"),
                    },
                    {
                        "title": "Sign-in attempts",
                        "icon": "lock_clock",
                        "link": reverse_lazy("admin:axes_accessattempt_changelist"),
                        "permission": _can("audit"),
                    },
                ],
            },
            {
                "title": "Developers",
                "separator": True,
                "items": [
                    {"title": "API documentation", "icon": "api", "link": "/api/docs/"},
                ],
            },
        ],
    },
}
