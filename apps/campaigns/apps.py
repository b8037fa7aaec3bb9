from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "apps.campaigns"
    label = "campaigns"
    verbose_name = "Campaigns and surveys"
    provides = ()  # hooks (apps.core.hooks) this app answers
