def portal(request):
    """The unread-notification count for the customer's top bar (one indexed count per page)."""
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.role == "customer"):
        return {}
    from apps.notifications.selectors import notifications_of

    return {"portal_unread": notifications_of(user).filter(read_status=False).count()}
