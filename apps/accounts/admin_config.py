from django.contrib.admin.apps import AdminConfig


class InsureOpsAdminConfig(AdminConfig):
    default_site = "apps.accounts.admin_site.InsureOpsAdminSite"
