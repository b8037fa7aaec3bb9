"""Downloads from the back office: the same authorisation, headers and security event as the API."""

from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404

from . import selectors, services


@staff_member_required
def document_download(request, pk: int):
    document = selectors.document_get_for_user(user=request.user, pk=pk)
    if not document.is_downloadable:
        raise PermissionDenied("This file is quarantined.")
    if request.GET.get("variant") == "thumbnail":
        if not document.thumbnail:
            raise Http404
        response = FileResponse(document.thumbnail.open("rb"), content_type="image/jpeg")
    else:
        handle = services.document_open_for_download(document=document, actor=request.user, request=request)
        response = FileResponse(
            handle, content_type=document.mime_type, as_attachment=True, filename=document.original_name
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
