"""A/B tests: after the test window the variant best on the campaign's `goal_metric` (conversion — renewed or
bound a policy within the attribution window — unless the campaign names clicks or opens) wins and goes to the
rest of the audience. Ties go to the variant with more sends, then the first code. A test with no sends picks
nothing yet."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User

from ..models import Campaign, CampaignStatus, CampaignVariant, RecipientGroup
from ..selectors.analytics import variant_figures

METRIC_KEY = {"conversion": "conversion_rate", "click": "click_rate", "open": "open_rate"}


def campaign_pick_winner(
    *, campaign_id: int, actor: User | None, now: datetime | None = None
) -> CampaignVariant | None:
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if (
            campaign is None
            or campaign.winner_id is not None
            or campaign.status
            not in (
                CampaignStatus.ACTIVE,
                CampaignStatus.PAUSED,
            )
        ):
            return None
        figures = variant_figures(campaign, group=RecipientGroup.TEST, now=now)
        scored = [f for f in figures if f["sent"] > 0]
        if not scored:
            return None
        key = METRIC_KEY[campaign.goal_metric]
        best = max(scored, key=lambda f: (f[key], f["sent"], [-ord(ch) for ch in f["code"]]))
        winner = CampaignVariant.objects.get(campaign=campaign, code=best["code"])
        runner = sorted((f"{f['code']} {f[key]}%" for f in scored), key=str)
        campaign.winner = winner
        campaign.winner_reason = f"{campaign.get_goal_metric_display()}: " + ", ".join(runner)
        campaign.save(update_fields=["winner", "winner_reason", "updated_at"])
        if campaign.status == CampaignStatus.ACTIVE:
            from .campaigns import _dispatch_later

            campaign_pk = campaign.pk
            transaction.on_commit(lambda: _dispatch_later(campaign_pk), robust=True)
    return winner
