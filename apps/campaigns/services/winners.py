"""A/B tests: after the test window the variant best on the campaign's `goal_metric` (conversion — renewed or
bound a policy within the attribution window — unless the campaign names clicks or opens) wins and goes to the
rest of the audience. Ties go to the variant with more sends, then the first code. A test with no sends picks
nothing yet."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.exceptions import Conflict

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


def campaign_winner_set(
    *, campaign: Campaign, actor: User, code: str, reason: str = "", now: datetime | None = None
) -> CampaignVariant:
    """A manager's override: this variant wins now, whatever the test says so far (a clear loser, a legal change
    to one wording), and goes to the rest of the audience. Only while no winner is chosen (the rest may already
    have received the first one: a second winner would send twice) and the campaign is sending or paused.
    Conflict `winner_chosen` / `not_sending`; ValidationError for a code that is not one of its variants."""
    from django.core.exceptions import ValidationError

    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.winner_id is not None:
            chosen = CampaignVariant.objects.get(pk=campaign.winner_id)
            raise Conflict(f"The winner is already {chosen.code} ({campaign.winner_reason}).", code="winner_chosen")
        if campaign.status not in (CampaignStatus.ACTIVE, CampaignStatus.PAUSED):
            raise Conflict("Only a campaign that is sending or paused can have its winner chosen.", code="not_sending")
        variants = {v.code: v for v in CampaignVariant.objects.filter(campaign=campaign)}
        if len(variants) < 2:
            raise ValidationError({"code": ["This campaign has no A/B test."]})
        winner = variants.get(str(code))
        if winner is None:
            raise ValidationError({"code": [f"One of: {', '.join(sorted(variants))}."]})
        who = actor.get_full_name() or actor.email
        note = f"Chosen by {who} on {now:%d %b %Y %H:%M}" + (f": {reason.strip()}" if reason.strip() else "")
        campaign.winner = winner
        campaign.winner_reason = note[:255]
        campaign.test_ends_at = min(campaign.test_ends_at, now) if campaign.test_ends_at else now
        campaign.save(update_fields=["winner", "winner_reason", "test_ends_at", "updated_at"])
        if campaign.status == CampaignStatus.ACTIVE:
            from .campaigns import _dispatch_later

            campaign_pk = campaign.pk
            transaction.on_commit(lambda: _dispatch_later(campaign_pk), robust=True)
    return winner
