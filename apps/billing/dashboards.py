"""Arrears figures for the dashboards (admin home tiles, the billing dashboard API): overdue instalments and the
policies in arrears among the policies the user may see, and lapses for non-payment."""

from decimal import Decimal

from django.db.models import Count, Sum

from apps.accounts.models import User
from apps.core.figures import WHOLE_BOOK, dashboard_figure
from apps.policies.models import PolicyStatus
from apps.policies.selectors import policies_visible_to

from .models import Instalment, NonPaymentLapse


@dashboard_figure(shared_by=WHOLE_BOOK)  # admins and managers see every policy
def dashboard_arrears(*, user: User) -> dict:
    """Counts are integers and amounts JSON numbers (two decimals), by currency for the amounts."""
    visible = policies_visible_to(user).values("pk")
    overdue = Instalment.objects.filter(status=Instalment.Status.OVERDUE, policy__in=visible)
    by_currency = {
        row["currency"]: float(row["total"] or Decimal("0"))
        for row in overdue.order_by().values("currency").annotate(total=Sum("amount"))
    }
    totals = overdue.aggregate(instalments=Count("pk"), policies=Count("policy", distinct=True))
    lapsed = NonPaymentLapse.objects.filter(
        policy__in=visible, reinstated_at__isnull=True, policy__status=PolicyStatus.LAPSED
    ).count()
    return {
        "overdue_instalments": totals["instalments"],
        "policies_in_arrears": totals["policies"],
        "amount_overdue": by_currency,
        "lapsed_for_non_payment": lapsed,
    }
